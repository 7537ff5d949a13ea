import { type ColumnOptions, PrimaryGeneratedColumn, type ValueTransformer } from 'typeorm';
import type { PrimaryGeneratedColumnNumericOptions } from 'typeorm/decorator/options/PrimaryGeneratedColumnNumericOptions.js';

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
  // The typings omit `transformer` for generated columns, but TypeORM applies it when reading.
  const options: PrimaryGeneratedColumnNumericOptions & Pick<ColumnOptions, 'transformer'> = {
    name: 'id',
    type: 'bigint',
    transformer: bigintAsNumber,
    primaryKeyConstraintName: `${table}_pkey`,
  };
  return PrimaryGeneratedColumn('increment', options);
}
