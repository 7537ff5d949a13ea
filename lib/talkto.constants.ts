export const TALKTO_MODULE_OPTIONS = 'TALKTO_MODULE_OPTIONS';
export const TALKTO_RESOLVED_OPTIONS = 'TALKTO_RESOLVED_OPTIONS';
export const TALKTO_HANDLER_METADATA = 'talkto:handler';
export const TALKTO_DATA_SOURCE = 'TALKTO_DATA_SOURCE';
export const TALKTO_RESULT_HANDLER_METADATA = 'talkto:result-handler';
export const TALKTO_ENTITY_EVENTS_METADATA = 'talkto:entity-events';
export const TALKTO_ON_ENTITY_EVENT_METADATA = 'talkto:on-entity-event';
