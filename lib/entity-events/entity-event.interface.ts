import type { EntityEventOperation } from './interfaces/entity-events-options.interface.js';

/** What an `@OnEntityEvent` handler receives. */
export interface TalktoEntityEvent {
  /** Row id in `talkto_entity_events`; increases in commit order per entity row. */
  id: number;
  /** TypeORM entity name (the class name unless configured otherwise). */
  entity: string;
  operation: EntityEventOperation;
  /** Primary key columns and values. */
  key: Record<string, unknown>;
  /** Properties written by the change (all of them for an insert, none for a remove). */
  changedColumns: string[];
  /** Property values after the change with redacted ones replaced; null for a remove. */
  data: Record<string, unknown> | null;
  occurredAt: Date;
}
