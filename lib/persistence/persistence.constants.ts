/** Table names; the PHP package's defaults, so both stacks can share one schema. */
export const TALKTO_TABLES = {
  messages: 'talkto_messages',
  attempts: 'talkto_attempts',
  events: 'talkto_events',
  deadLetters: 'talkto_dead_letters',
  nonces: 'talkto_nonces',
} as const;

/** `last_error`, excerpts and dead-letter reasons are cut to this many characters. */
export const TALKTO_TEXT_LIMIT = 2000;

/** Tables of entity lifecycle events (a second migration; not part of the PHP schema). */
export const TALKTO_ENTITY_EVENT_TABLES = {
  events: 'talkto_entity_events',
  deliveries: 'talkto_entity_event_deliveries',
} as const;
