import { CreateTalktoTables1767225600000 } from './1767225600000-create-talkto-tables.migration.js';
import { CreateTalktoEntityEventTables1767312000000 } from './1767312000000-create-talkto-entity-event-tables.migration.js';
import { AddTalktoTraceparent1767398400000 } from './1767398400000-add-talkto-traceparent.migration.js';
import { TrimTalktoIndexes1767484800000 } from './1767484800000-trim-talkto-indexes.migration.js';
import { WidenTalktoRetryDueIndex1767571200000 } from './1767571200000-widen-talkto-retry-due-index.migration.js';

/** Every Talkto migration in order, for a host's `DataSource({ migrations: [...TALKTO_MIGRATIONS] })`. */
export const TALKTO_MIGRATIONS = [
  CreateTalktoTables1767225600000,
  CreateTalktoEntityEventTables1767312000000,
  AddTalktoTraceparent1767398400000,
  TrimTalktoIndexes1767484800000,
  WidenTalktoRetryDueIndex1767571200000,
];
