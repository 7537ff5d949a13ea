import { SetMetadata } from '@nestjs/common';
import type { TalktoEntityEventsWatch } from '../entity-events/interfaces/entity-events-options.interface.js';
import { TALKTO_ENTITY_EVENTS_METADATA } from '../talkto.constants.js';

/**
 * Marks a TypeORM entity class whose inserts, updates and removes raise Talkto entity events,
 * written in the same transaction as the change. Same options as the module's `entityEvents`.
 */
export const TalktoEntityEvents = (watch: TalktoEntityEventsWatch = {}): ClassDecorator =>
  SetMetadata(TALKTO_ENTITY_EVENTS_METADATA, watch);
