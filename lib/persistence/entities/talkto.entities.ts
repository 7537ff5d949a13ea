import { TalktoAttemptEntity } from './attempt.entity.js';
import { TalktoDeadLetterEntity } from './dead-letter.entity.js';
import { TalktoEntityEventDeliveryEntity } from './entity-event-delivery.entity.js';
import { TalktoEntityEventEntity } from './entity-event.entity.js';
import { TalktoEventEntity } from './event.entity.js';
import { TalktoMessageEntity } from './message.entity.js';
import { TalktoNonceEntity } from './nonce.entity.js';

/** Every Talkto entity, for a host's `DataSource({ entities: [...TALKTO_ENTITIES, ...] })`. */
export const TALKTO_ENTITIES = [
  TalktoMessageEntity,
  TalktoAttemptEntity,
  TalktoEventEntity,
  TalktoDeadLetterEntity,
  TalktoNonceEntity,
  TalktoEntityEventEntity,
  TalktoEntityEventDeliveryEntity,
];
