import { Column } from 'typeorm';

/** The `Date` the columns are declared with, kept should a test replace the global later. */
export const TIMESTAMP_TYPE = Date;

/**
 * A nullable UTC instant with millisecond precision: `timestamp(3)` on PostgreSQL, `datetime(3)` on
 * MySQL/MariaDB, ISO-like text on SQLite. Values are always written by the ledger from a JS `Date`,
 * never by a database clock, so every engine compares the same instants.
 */
export function TimestampColumn(name: string): PropertyDecorator {
  return Column({ name, type: TIMESTAMP_TYPE, precision: 3, nullable: true });
}
