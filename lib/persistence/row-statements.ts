import type { EntityManager, EntityMetadata, EntityTarget, ObjectLiteral } from 'typeorm';
import type { ColumnMetadata } from 'typeorm/metadata/ColumnMetadata.js';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity.js';

/**
 * The ledger's per-message statements, written as SQL with bound parameters. Every step of a
 * message inserts, updates or reads one row, and TypeORM's query builders cost more CPU than the
 * statement itself; on SQLite they also write numbers into the SQL text, so a statement naming
 * an id is prepared anew each time. Here the SQL of one shape is always the same text (the
 * drivers' prepared-statement caches hit), and values are converted exactly as TypeORM converts
 * them (`preparePersistentValue` / `prepareHydratedValue`: transformers, dates, JSON).
 */

/** Engines whose INSERT answer carries the new id (RETURNING on PostgreSQL). */
const SUPPORTED = new Set(['postgres', 'mysql', 'mariadb', 'better-sqlite3']);

/** Returns the placeholder for a value, converted for the column whose property is named. */
export type SqlBinder = (value: unknown, property: string) => string;

/** A SET value the database computes from the row, e.g. `attempts + 1`. */
export class SqlExpression {
  constructor(readonly write: (column: string, bind: SqlBinder) => string) {}
}

/** `column + 1`. */
export const INCREMENT = new SqlExpression((column) => `${column} + 1`);

/** Column values to write; an `SqlExpression` is computed by the database. */
export type RowChanges<T> = { [K in keyof T]?: T[K] | SqlExpression };

export interface RowCondition {
  /** property → value; `null` means IS NULL. */
  equal: Record<string, unknown>;
  /** More of the WHERE clause, in column names; values only through `bind`. */
  sql?: (bind: SqlBinder) => string;
}

/** Whether these helpers know the engine; callers fall back to TypeORM's builders otherwise. */
export function hasRowStatements(manager: EntityManager): boolean {
  return SUPPORTED.has(manager.connection.options.type);
}

/** Inserts one row with an auto-increment `id` and returns the id; `undefined` takes the default. */
export async function insertRow<T extends ObjectLiteral>(
  manager: EntityManager,
  target: EntityTarget<T>,
  values: QueryDeepPartialEntity<T>,
): Promise<number> {
  if (!hasRowStatements(manager)) {
    const result = await manager.insert(target, values);
    return Number(result.identifiers[0]!.id);
  }
  const sql = new StatementWriter(manager, manager.connection.getMetadata(target));
  const returning = manager.connection.options.type === 'postgres' ? ` RETURNING ${sql.column('id')}` : '';
  const raw: unknown = await manager.query(
    `${sql.insert(values as Record<string, unknown>)}${returning}`,
    sql.parameters,
  );
  const id = Array.isArray(raw)
    ? (raw[0] as { id: unknown }).id
    : typeof raw === 'object' && raw !== null
      ? (raw as { insertId: unknown }).insertId
      : raw;
  return Number(id);
}

/** In an `insertRows` list: the id the row at `index` gets. */
export class InsertedId {
  constructor(readonly index: number) {}
}

export interface RowToInsert {
  target: EntityTarget<ObjectLiteral>;
  /** Column values; an `InsertedId` names an earlier row of the same list. */
  values: Record<string, unknown>;
}

/**
 * Inserts rows of which later ones may name the id of an earlier one (a message, then its event),
 * and returns their ids in order. PostgreSQL gets one statement (data-modifying CTEs: one round
 * trip, atomic by itself); elsewhere the rows go one by one, so run it in a transaction there.
 */
export async function insertRows(manager: EntityManager, rows: RowToInsert[]): Promise<number[]> {
  if (manager.connection.options.type !== 'postgres') {
    const ids: number[] = [];
    for (const row of rows) {
      const values = Object.fromEntries(
        Object.entries(row.values).map(([name, value]) => [
          name,
          value instanceof InsertedId ? ids[value.index] : value,
        ]),
      );
      ids.push(await insertRow(manager, row.target, values));
    }
    return ids;
  }
  const parameters: unknown[] = [];
  const steps = rows.map((row, i) => {
    const sql = new StatementWriter(manager, manager.connection.getMetadata(row.target), parameters);
    const earlier = (ref: InsertedId) => `(SELECT ${sql.column('id')} FROM s${ref.index})`;
    return `s${i} AS (${sql.insert(row.values, earlier)} RETURNING ${sql.column('id')})`;
  });
  const id = manager.connection.driver.escape('id');
  const ids = rows.map((_, i) => `(SELECT ${id} FROM s${i}) AS s${i}`).join(', ');
  const [result] = (await manager.query(`WITH ${steps.join(', ')} SELECT ${ids}`, parameters)) as Array<
    Record<string, unknown>
  >;
  return rows.map((_, i) => Number(result![`s${i}`]));
}

/** `UPDATE … SET … WHERE …`; returns the number of rows the engine reports as affected. */
export async function updateRows<T extends ObjectLiteral>(
  manager: EntityManager,
  target: EntityTarget<T>,
  changes: RowChanges<T>,
  where: RowCondition,
): Promise<number> {
  const sql = new StatementWriter(manager, manager.connection.getMetadata(target));
  const values = changes as Record<string, unknown>;
  const set = Object.keys(values)
    .filter((name) => values[name] !== undefined)
    .map((name) => {
      const value = values[name];
      const column = sql.column(name);
      return `${column} = ${value instanceof SqlExpression ? value.write(column, sql.bind) : sql.bind(value, name)}`;
    })
    .join(', ');
  const result = await runStructured(
    manager,
    `UPDATE ${sql.table} SET ${set} WHERE ${sql.where(where)}`,
    sql.parameters,
  );
  return result.affected ?? 0;
}

/** The first row matching `equal`, hydrated as TypeORM hydrates it, or null. */
export async function findRow<T extends ObjectLiteral>(
  manager: EntityManager,
  target: EntityTarget<T>,
  equal: Record<string, unknown>,
): Promise<T | null> {
  const metadata = manager.connection.getMetadata(target);
  const sql = new StatementWriter(manager, metadata);
  const columns = metadata.columns.map((column) => sql.column(column.propertyName)).join(', ');
  const rows = (await manager.query(
    `SELECT ${columns} FROM ${sql.table} WHERE ${sql.where({ equal })} LIMIT 1`,
    sql.parameters,
  )) as Array<Record<string, unknown>>;
  const raw = rows[0];
  if (raw === undefined) return null;
  const driver = manager.connection.driver;
  const entity = metadata.create() as Record<string, unknown>;
  for (const column of metadata.columns) {
    entity[column.propertyName] = driver.prepareHydratedValue(raw[column.databaseName], column);
  }
  return entity as T;
}

/** Builds one statement: quoted names from the entity's metadata, values as bound parameters. */
class StatementWriter {
  readonly table: string;

  constructor(
    private readonly manager: EntityManager,
    private readonly metadata: EntityMetadata,
    /** Shared by the writers of one statement, so placeholders number on. */
    readonly parameters: unknown[] = [],
  ) {
    const driver = manager.connection.driver;
    this.table = metadata.tablePath
      .split('.')
      .map((part) => driver.escape(part))
      .join('.');
  }

  column(property: string): string {
    return this.manager.connection.driver.escape(this.metadataOf(property).databaseName);
  }

  readonly bind: SqlBinder = (value, property) => {
    const driver = this.manager.connection.driver;
    this.parameters.push(driver.preparePersistentValue(value, this.metadataOf(property)));
    return driver.createParameter(`p${this.parameters.length}`, this.parameters.length - 1);
  };

  /** `INSERT INTO t (…) VALUES (…)`; `earlier` writes an `InsertedId` (only `insertRows` has them). */
  insert(values: Record<string, unknown>, earlier?: (ref: InsertedId) => string): string {
    const names = Object.keys(values).filter((name) => values[name] !== undefined);
    const written = names.map((name) => {
      const value = values[name];
      if (value instanceof InsertedId) {
        if (!earlier) throw new Error(`"${name}" names another row, which only insertRows can write`);
        return earlier(value);
      }
      return this.bind(value, name);
    });
    return `INSERT INTO ${this.table} (${names.map((name) => this.column(name)).join(', ')}) VALUES (${written.join(', ')})`;
  }

  where(condition: RowCondition): string {
    const parts = Object.keys(condition.equal).map((name) => {
      const value = condition.equal[name];
      return value === null
        ? `${this.column(name)} IS NULL`
        : `${this.column(name)} = ${this.bind(value, name)}`;
    });
    if (condition.sql) parts.push(`(${condition.sql(this.bind)})`);
    return parts.join(' AND ');
  }

  private metadataOf(property: string): ColumnMetadata {
    const column = this.metadata.findColumnWithPropertyName(property);
    if (!column) throw new Error(`${this.metadata.name} has no column for "${property}"`);
    return column;
  }
}

/** A statement through the manager's query runner, with the affected-row count TypeORM reads. */
async function runStructured(
  manager: EntityManager,
  sql: string,
  parameters: unknown[],
): Promise<{ affected?: number }> {
  const runner = manager.queryRunner ?? manager.connection.createQueryRunner();
  try {
    return (await runner.query(sql, parameters, true)) as { affected?: number };
  } finally {
    if (!manager.queryRunner) await runner.release();
  }
}
