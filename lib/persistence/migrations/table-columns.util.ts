import type { TableColumnOptions } from 'typeorm';

/**
 * Column shorthands for the Talkto migrations. They are written out, not derived from the
 * entities: a migration is frozen history, while entities keep changing.
 */
export type DatabaseFlavor = 'sqlite' | 'postgres' | 'mysql';

export function idColumn(flavor: DatabaseFlavor): TableColumnOptions {
  return {
    name: 'id',
    // SQLite autoincrements only an INTEGER primary key (which is 64-bit there).
    type: flavor === 'sqlite' ? 'integer' : 'bigint',
    isPrimary: true,
    isGenerated: true,
    generationStrategy: 'increment',
  };
}

export function varchar(
  name: string,
  length: number,
  nullable = true,
  defaultValue?: string,
): TableColumnOptions {
  return {
    name,
    type: 'varchar',
    length: String(length),
    isNullable: nullable,
    ...(defaultValue === undefined ? {} : { default: `'${defaultValue}'` }),
  };
}

export function unsignedInt(name: string, defaultValue?: number): TableColumnOptions {
  return {
    name,
    type: 'integer',
    unsigned: true,
    isNullable: defaultValue === undefined,
    ...(defaultValue === undefined ? {} : { default: defaultValue }),
  };
}

export function nullableInt(name: string): TableColumnOptions {
  return { name, type: 'integer', isNullable: true };
}

export function nullableBigint(name: string): TableColumnOptions {
  return { name, type: 'bigint', isNullable: true };
}

export function text(name: string): TableColumnOptions {
  return { name, type: 'text', isNullable: true };
}

/** Payload text; LONGTEXT on MySQL/MariaDB, whose TEXT holds only 64 KiB. */
export function payloadText(name: string, flavor: DatabaseFlavor): TableColumnOptions {
  return { name, type: flavor === 'mysql' ? 'longtext' : 'text', isNullable: true };
}

/** A UTC instant with millisecond precision (see TimestampColumn). */
export function timestamp(name: string, flavor: DatabaseFlavor): TableColumnOptions {
  return {
    name,
    type: flavor === 'postgres' ? 'timestamp' : 'datetime',
    precision: 3,
    isNullable: true,
  };
}

export function createdUpdated(flavor: DatabaseFlavor): TableColumnOptions[] {
  return [timestamp('created_at', flavor), timestamp('updated_at', flavor)];
}
