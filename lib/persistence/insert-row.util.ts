import type { EntityManager, EntityMetadata, EntityTarget, ObjectLiteral } from 'typeorm';
import type { ColumnMetadata } from 'typeorm/metadata/ColumnMetadata.js';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity.js';

/** Engines whose INSERT answer carries the new id (RETURNING on PostgreSQL). */
const ID_FROM_RESULT = new Set(['postgres', 'mysql', 'mariadb', 'better-sqlite3']);

interface InsertStatement {
  sql: string;
  columns: ColumnMetadata[];
}

/** One statement per entity and set of written properties: the ledger writes a handful of shapes. */
const statements = new WeakMap<EntityMetadata, Map<string, InsertStatement>>();

/**
 * Inserts one row with an auto-increment `id` and returns that id. The ledger inserts on every
 * step of a message, so the SQL is built once per shape with bound parameters: TypeORM's insert
 * builder costs more CPU than the insert itself, writes numbers into the SQL text on SQLite (so
 * the statement is prepared anew each time) and re-selects defaulted columns on engines without
 * RETURNING, although the ledger writes those columns itself. Values are converted exactly as
 * TypeORM converts them (`preparePersistentValue`: transformers, dates, JSON); a property left
 * `undefined` takes the column's default.
 */
export async function insertRow<T extends ObjectLiteral>(
  manager: EntityManager,
  target: EntityTarget<T>,
  values: QueryDeepPartialEntity<T>,
): Promise<number> {
  const type = manager.connection.options.type;
  if (!ID_FROM_RESULT.has(type)) {
    const result = await manager.insert(target, values);
    return Number(result.identifiers[0]!.id);
  }
  const row = values as Record<string, unknown>;
  const names = Object.keys(row).filter((name) => row[name] !== undefined);
  const statement = insertStatement(manager, manager.connection.getMetadata(target), names);
  const driver = manager.connection.driver;
  const parameters = statement.columns.map((column) =>
    driver.preparePersistentValue(row[column.propertyName], column),
  );
  const raw: unknown = await manager.query(statement.sql, parameters);
  const id = Array.isArray(raw)
    ? (raw[0] as { id: unknown }).id
    : typeof raw === 'object' && raw !== null
      ? (raw as { insertId: unknown }).insertId
      : raw;
  return Number(id);
}

function insertStatement(manager: EntityManager, metadata: EntityMetadata, names: string[]): InsertStatement {
  let shapes = statements.get(metadata);
  if (!shapes) {
    shapes = new Map();
    statements.set(metadata, shapes);
  }
  const key = names.join(',');
  let statement = shapes.get(key);
  if (!statement) {
    const driver = manager.connection.driver;
    const columns = names.map((name) => {
      const column = metadata.findColumnWithPropertyName(name);
      if (!column) throw new Error(`${metadata.name} has no column for "${name}"`);
      return column;
    });
    const table = metadata.tablePath
      .split('.')
      .map((part) => driver.escape(part))
      .join('.');
    const list = columns.map((column) => driver.escape(column.databaseName)).join(', ');
    const placeholders = columns.map((_, i) => driver.createParameter(`p${i}`, i)).join(', ');
    const returning =
      manager.connection.options.type === 'postgres' ? ` RETURNING ${driver.escape('id')}` : '';
    statement = { sql: `INSERT INTO ${table} (${list}) VALUES (${placeholders})${returning}`, columns };
    shapes.set(key, statement);
  }
  return statement;
}
