import type { EntityEventOperation } from '../entity-events/interfaces/entity-events-options.interface.js';
import { TALKTO_ON_ENTITY_EVENT_METADATA } from '../talkto.constants.js';

export interface OnEntityEventMetadata {
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  entity: Function | string;
  operations: EntityEventOperation[];
}

/**
 * Runs the decorated provider method for events of `entity` (its class or entity name). Each
 * handler is delivered, retried and dead-lettered on its own; several may listen to one event.
 */
export function OnEntityEvent(
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  entity: Function | string,
  operations: EntityEventOperation | EntityEventOperation[] = ['insert', 'update', 'remove'],
): MethodDecorator {
  return (target, propertyKey) => {
    const list = (Reflect.getMetadata(TALKTO_ON_ENTITY_EVENT_METADATA, target, propertyKey) ??
      []) as OnEntityEventMetadata[];
    const ops = Array.isArray(operations) ? operations : [operations];
    Reflect.defineMetadata(
      TALKTO_ON_ENTITY_EVENT_METADATA,
      [...list, { entity, operations: ops }],
      target,
      propertyKey,
    );
  };
}
