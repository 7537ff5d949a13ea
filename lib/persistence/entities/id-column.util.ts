import { PrimaryGeneratedColumn, type ValueTransformer } from 'typeorm';

/**
 * pg and mysql2 return BIGINT as a string, SQLite as a number; ids stay far below 2^53, so they
 * are numbers everywhere.
 */
export const bigintAsNumber: ValueTransformer = {
  to: (value: number | null | undefined) => value,
  from: (value: string | number | null) => (value === null ? null : Number(value)),
};

/**
 * Auto-increment BIGINT primary key, named like PostgreSQL's default so migration and entity agree.
 * SQLite only autoincrements an INTEGER key (64-bit there anyway): the migration creates that, and
 * `synchronize` cannot build these tables on SQLite; use TALKTO_MIGRATIONS.
 */
export function IdColumn(table: string): PropertyDecorator {
  return PrimaryGeneratedColumn('increment', {
    name: 'id',
    type: 'bigint',
    transformer: bigintAsNumber,
    primaryKeyConstraintName: `${table}_pkey`,
  });
}
