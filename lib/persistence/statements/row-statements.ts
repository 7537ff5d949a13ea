import type { EntityManager, EntityMetadata, EntityTarget, ObjectLiteral } from 'typeorm';
import type { ColumnMetadata } from 'typeorm/metadata/ColumnMetadata.js';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity.js';
import { runLedgerQuery } from './ledger-query.js';
import { PostgresChainBatcher } from './postgres-chain-batcher.js';
import { type PostgresDriverLike, postgresTimestampText } from './postgres-parameter-text.js';
import { type StatementOutput, statementText, writtenStatement } from './statement-shapes.js';

/**
 * The ledger's per-message statements, written as SQL with bound parameters. Every step of a
 * message inserts, updates or reads one row, and TypeORM's query builders cost more CPU than the
 * statement itself; on SQLite they also write numbers into the SQL text, so a statement naming
 * an id is prepared anew each time. Here the SQL of one shape is always the same text, written
 * out once (`writtenStatement`), so the drivers' prepared-statement caches hit, and values are
 * converted exactly as TypeORM converts them (`preparePersistentValue` / `prepareHydratedValue`:
 * transformers, dates, JSON).
 */

/** Engines whose INSERT answer carries the new id (RETURNING on PostgreSQL). */
const ID_FROM_RESULT = new Set(['postgres', 'mysql', 'mariadb', 'better-sqlite3']);

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

/** Inserts one row with an auto-increment `id` and returns the id; `undefined` takes the default. */
export async function insertRow<T extends ObjectLiteral>(
  manager: EntityManager,
  target: EntityTarget<T>,
  values: QueryDeepPartialEntity<T>,
): Promise<number> {
  if (!ID_FROM_RESULT.has(manager.connection.options.type)) {
    const result = await manager.insert(target, values);
    return Number(result.identifiers[0]!.id);
  }
  const sql = new StatementWriter(manager, manager.connection.getMetadata(target));
  const returning = manager.connection.options.type === 'postgres';
  const text = sql.statement((out) => {
    sql.insert(out, values as Record<string, unknown>);
    if (returning) {
      out.add(' RETURNING ');
      out.add(sql.column('id'));
    }
  });
  const { records, raw } = await runLedgerQuery(manager, text, sql.parameters);
  const id =
    records.length > 0
      ? records[0]!.id
      : typeof raw === 'object' && raw !== null
        ? (raw as { insertId: unknown }).insertId
        : raw;
  return Number(id);
}

/** `UPDATE … SET … WHERE …`; returns the number of rows the engine reports as affected. */
export async function updateRows<T extends ObjectLiteral>(
  manager: EntityManager,
  target: EntityTarget<T>,
  changes: RowChanges<T>,
  where: RowCondition,
): Promise<number> {
  const sql = new StatementWriter(manager, manager.connection.getMetadata(target));
  const text = sql.statement((out) => sql.update(out, changes as Record<string, unknown>, where));
  const result = await runLedgerQuery(manager, text, sql.parameters);
  return result.affected ?? 0;
}

/**
 * The first row matching `equal`, hydrated as TypeORM hydrates it, or null. Outside a transaction
 * on PostgreSQL, concurrent lookups of one shape share a statement (`RowLookup`).
 */
export async function findRow<T extends ObjectLiteral>(
  manager: EntityManager,
  target: EntityTarget<T>,
  equal: Record<string, unknown>,
): Promise<T | null> {
  const lookup = new RowLookup<T>(manager, manager.connection.getMetadata(target), equal);
  const { text, parameters } = lookup.statement();
  if (manager.queryRunner === undefined && manager.connection.options.type === 'postgres') {
    return PostgresChainBatcher.of(manager.connection).run(lookup, text, parameters);
  }
  return lookup.resultOf((await runLedgerQuery(manager, text, parameters)).records[0]);
}

/** One `findRow`: its statement, its statement for many lookups of its shape, its answer. */
class RowLookup<T> {
  constructor(
    private readonly manager: EntityManager,
    private readonly metadata: EntityMetadata,
    private readonly equal: Record<string, unknown>,
  ) {}

  statement(): { text: string; parameters: unknown[] } {
    const sql = new StatementWriter(this.manager, this.metadata);
    return { text: sql.statement((out) => this.select(sql, out)), parameters: sql.parameters };
  }

  /**
   * Parameter n is the array of every lookup's value n, unnested into `b` with one row `k` per
   * lookup; each finds its row as `statement` does (LATERAL … LIMIT 1), or a row of nulls.
   */
  batchStatement(): string | undefined {
    const driver = this.manager.connection.driver;
    const types: string[] = [];
    const sql = new StatementWriter(this.manager, this.metadata, [], (index, column) => {
      types[index] = `${driver.normalizeType(column)}[]`;
      return `b.v${index + 1}`;
    });
    const found = sql.statement((out) => this.select(sql, out));
    if (types.length === 0) return undefined;
    const unnest = types.map((type, i) => `$${i + 1}::${type}`).join(', ');
    const values = types.map((_, i) => `v${i + 1}`).join(', ');
    return (
      `SELECT r.* FROM unnest(${unnest}) WITH ORDINALITY AS b(${values}, k)` +
      ` LEFT JOIN LATERAL (${found}) r ON true ORDER BY b.k`
    );
  }

  /** The row as TypeORM hydrates it; null when there was none (a batch answers nulls, id too). */
  resultOf(raw: Record<string, unknown> | undefined): T | null {
    const id = this.metadata.primaryColumns[0]!.databaseName;
    if (raw === undefined || raw[id] === null) return null;
    const driver = this.manager.connection.driver;
    const entity = blankRowOf(this.metadata);
    for (const column of this.metadata.columns) {
      entity[column.propertyName] = driver.prepareHydratedValue(raw[column.databaseName], column);
    }
    return entity as T;
  }

  /** `SELECT <every column> FROM t WHERE … LIMIT 1`. */
  private select(sql: StatementWriter, out: StatementOutput): void {
    out.add('SELECT ');
    out.add(sql.columnList);
    out.add(' FROM ');
    out.add(sql.table);
    out.add(' WHERE ');
    sql.where(out, { equal: this.equal });
    out.add(' LIMIT 1');
  }
}

/** Per entity: every column's property, null, and the prototype TypeORM gives its rows. */
const blankRows = new WeakMap<EntityMetadata, { columns: Record<string, null>; prototype: object }>();

/**
 * A new row of the entity with every column null. TypeORM's `create()` adds the columns one by one,
 * which turns a row of ~40 columns into a dictionary object; a copy of one template keeps a
 * single hidden class, which V8 reads fast.
 */
function blankRowOf(metadata: EntityMetadata): Record<string, unknown> {
  let blank = blankRows.get(metadata);
  if (blank === undefined) {
    const columns = Object.fromEntries(metadata.columns.map((column) => [column.propertyName, null]));
    blank = { columns, prototype: Object.getPrototypeOf(metadata.create()) as object };
    blankRows.set(metadata, blank);
  }
  return Object.setPrototypeOf({ ...blank.columns }, blank.prototype) as Record<string, unknown>;
}

/** Calls `write` for each value of `values` that is not undefined, in key order, comma-separated. */
function eachDefined(
  out: StatementOutput,
  values: Record<string, unknown>,
  write: (name: string, value: unknown) => void,
): void {
  let first = true;
  for (const name of Object.keys(values)) {
    const value = values[name];
    if (value === undefined) continue;
    if (!first) out.add(', ');
    write(name, value);
    first = false;
  }
}

/** Writes where value `index` (0-based) of a statement goes, for a value of `column`. */
export type Placeholder = (index: number, column: ColumnMetadata) => string;

/**
 * Writes one statement, or a chain's: quoted names from the entity's metadata, values as bound
 * parameters. Its parts write their pieces to an output (`statement` gives one), so a statement of
 * a shape written before is only walked (`writtenStatement`).
 */
export class StatementWriter {
  readonly table: string;
  private readonly names: EntityNames;

  constructor(
    private readonly manager: EntityManager,
    private readonly metadata: EntityMetadata,
    /** Shared by the writers of one statement, so placeholders number on. */
    readonly parameters: unknown[] = [],
    /** The driver's own parameter (`$1`, `?`) unless given. */
    private readonly placeholder?: Placeholder,
  ) {
    this.names = namesOf(manager, metadata);
    this.table = this.names.table;
  }

  column(property: string): string {
    return this.columnOf(property).quoted;
  }

  /** Every column of the entity, quoted, in metadata order. */
  get columnList(): string {
    return this.names.columnList;
  }

  readonly bind: SqlBinder = (value, property) => {
    const driver = this.manager.connection.driver;
    const { metadata: column, passThrough } = this.columnOf(property);
    const written = passThrough
      ? value
      : value instanceof Date
        ? writtenDate(driver, value, column)
        : driver.preparePersistentValue(value, column);
    const index = this.parameters.push(written) - 1;
    return this.placeholder?.(index, column) ?? driver.createParameter(`p${index + 1}`, index);
  };

  /**
   * The text `write` writes, its values bound into `parameters` (shared by the writers it uses).
   * With the driver's own placeholders, a shape written before is only walked (`writtenStatement`);
   * a batch statement's placeholders are written out each time (the batcher keeps its text).
   */
  statement(write: (out: StatementOutput) => void): string {
    return this.placeholder === undefined
      ? writtenStatement(this.manager.connection, this.parameters, write)
      : statementText(write);
  }

  /**
   * `INSERT INTO t (…) VALUES (…)`, or `INSERT INTO t (…) SELECT … FROM <from>` when `from` is
   * given: one row per row of `from`. `special` may write a value itself (return undefined to bind it).
   */
  insert(
    out: StatementOutput,
    values: Record<string, unknown>,
    from?: string,
    special?: (value: unknown) => string | undefined,
  ): void {
    out.add('INSERT INTO ');
    out.add(this.table);
    out.add(' (');
    eachDefined(out, values, (name) => out.add(this.column(name)));
    out.add(from === undefined ? ') VALUES (' : ') SELECT ');
    eachDefined(out, values, (name, value) => out.add(special?.(value) ?? this.bind(value, name)));
    if (from === undefined) {
      out.add(')');
    } else {
      out.add(' FROM ');
      out.add(from);
    }
  }

  /**
   * `UPDATE t SET … WHERE …`; `also` is one more condition, already written; `from` names more
   * rows the values and conditions may refer to (PostgreSQL's `UPDATE … FROM`).
   */
  update(
    out: StatementOutput,
    changes: Record<string, unknown>,
    where: RowCondition,
    also?: string,
    from?: string,
  ): void {
    out.add('UPDATE ');
    out.add(this.table);
    out.add(' SET ');
    eachDefined(out, changes, (name, value) => {
      const column = this.column(name);
      out.add(column);
      out.add(' = ');
      out.add(value instanceof SqlExpression ? value.write(column, this.bind) : this.bind(value, name));
    });
    if (from !== undefined) {
      out.add(' FROM ');
      out.add(from);
    }
    out.add(' WHERE ');
    this.where(out, where);
    if (also !== undefined) {
      out.add(' AND ');
      out.add(also);
    }
  }

  where(out: StatementOutput, condition: RowCondition): void {
    let first = true;
    for (const name of Object.keys(condition.equal)) {
      const value = condition.equal[name];
      if (!first) out.add(' AND ');
      out.add(this.column(name));
      if (value === null) {
        out.add(' IS NULL');
      } else {
        out.add(' = ');
        out.add(this.bind(value, name));
      }
      first = false;
    }
    if (condition.sql) {
      if (!first) out.add(' AND ');
      out.add('(');
      out.add(condition.sql(this.bind));
      out.add(')');
    }
  }

  private columnOf(property: string): KnownColumn {
    const column = this.names.columns.get(property);
    if (!column) throw new Error(`${this.metadata.name} has no column for "${property}"`);
    return column;
  }
}

interface KnownColumn {
  metadata: ColumnMetadata;
  /** The column name as the driver quotes it. */
  quoted: string;
  /** TypeORM writes its values as they are (see `PASS_THROUGH_TYPES`). */
  passThrough: boolean;
}

/**
 * Column types whose values every supported driver's `preparePersistentValue` returns unchanged
 * when the column has no transformer (a test holds each driver to it). Skipping the call matters: on PostgreSQL it builds a list of
 * type names for each such value before it decides to change nothing.
 */
const PASS_THROUGH_TYPES: ReadonlySet<unknown> = new Set(['varchar', 'text', 'int', 'bigint']);

export function isPassThrough(column: ColumnMetadata): boolean {
  return column.transformer === undefined && PASS_THROUGH_TYPES.has(column.type);
}

/** Per driver and column type: the last date written and the text TypeORM wrote for it. */
const lastDates = new WeakMap<object, Map<unknown, { time: number; text: string }>>();

/**
 * A date as TypeORM writes it for the column. A message's step writes the same instant to several
 * columns (created, updated, received, and its event's and nonce's), and SQLite's conversion to
 * text costs about a microsecond and half a kilobyte each time: text already written for this
 * instant and column type is used again. Only a text is kept (a `Date` answer could be changed by
 * its holder), and only where the type alone decides it (no transformer, no UTC option). On
 * PostgreSQL TypeORM hands node-postgres the `Date`; it is written here as the text node-postgres
 * would send for it.
 */
function writtenDate(
  driver: EntityManager['connection']['driver'],
  value: Date,
  column: ColumnMetadata,
): unknown {
  if (column.transformer !== undefined || column.utc) return driver.preparePersistentValue(value, column);
  let byType = lastDates.get(driver);
  if (byType === undefined) {
    byType = new Map();
    lastDates.set(driver, byType);
  }
  const time = value.getTime();
  const last = byType.get(column.type);
  if (last !== undefined && last.time === time) return last.text;
  let written: unknown = driver.preparePersistentValue(value, column);
  if (written instanceof Date && driver.options.type === 'postgres') {
    written = postgresTimestampText(driver as PostgresDriverLike, written) ?? written;
  }
  if (typeof written === 'string') byType.set(column.type, { time, text: written });
  return written;
}

/** An entity's table and columns as the driver quotes them, columns by property name. */
interface EntityNames {
  table: string;
  columns: Map<string, KnownColumn>;
  /** Every column, quoted, joined with commas (a row lookup reads them all). */
  columnList: string;
}

/** Per entity (TypeORM's own lookup walks the column list each time). */
const entityNames = new WeakMap<EntityMetadata, EntityNames>();

function namesOf(manager: EntityManager, metadata: EntityMetadata): EntityNames {
  let names = entityNames.get(metadata);
  if (names === undefined) {
    const driver = manager.connection.driver;
    const columns = new Map(
      metadata.columns.map((column) => [
        column.propertyName,
        {
          metadata: column,
          quoted: driver.escape(column.databaseName),
          passThrough: isPassThrough(column),
        },
      ]),
    );
    names = {
      table: metadata.tablePath
        .split('.')
        .map((part) => driver.escape(part))
        .join('.'),
      columns,
      columnList: metadata.columns.map((column) => columns.get(column.propertyName)!.quoted).join(', '),
    };
    entityNames.set(metadata, names);
  }
  return names;
}
