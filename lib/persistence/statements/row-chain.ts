import type { DataSource, EntityManager, EntityTarget, ObjectLiteral } from 'typeorm';
import type { ColumnMetadata } from 'typeorm/metadata/ColumnMetadata.js';
import {
  type RowChanges,
  type RowCondition,
  StatementWriter,
  findRow,
  insertRow,
  updateRows,
} from './row-statements.js';
import { runLedgerQuery } from './ledger-query.js';
import { runInTransaction, runStandaloneWrite } from './run-in-transaction.util.js';
import { ChainResult, ChainStep } from './chain-result.js';
import { PostgresChainBatcher } from './postgres-chain-batcher.js';
import { writtenStatement } from './statement-shapes.js';

type Step =
  | {
      kind: 'insert';
      target: EntityTarget<ObjectLiteral>;
      values: Record<string, unknown>;
      when?: ChainStep;
      /** Properties whose values name the row: when one exists already, the step writes nothing. */
      unlessPresent?: string[];
    }
  | {
      kind: 'update';
      target: EntityTarget<ObjectLiteral>;
      changes: Record<string, unknown>;
      where: RowCondition;
      when?: ChainStep;
    };

/**
 * The writes of one ledger step — a message and its event, a claim with its attempt and event —
 * that stand or fall together. A write may depend on an earlier one: it names the row an insert
 * wrote (a `ChainStep` as a value), or runs only `when` an earlier write wrote or changed a row.
 * On PostgreSQL the chain is one statement (data-modifying CTEs): one round trip, atomic by
 * itself, where each statement of a transaction, BEGIN and COMMIT included, is one more round
 * trip. Elsewhere the writes run in order, inside a transaction the caller provides.
 */
export class RowChain {
  private readonly steps: Step[] = [];

  insert<T extends ObjectLiteral>(
    target: EntityTarget<T>,
    values: { [K in keyof T]?: T[K] | ChainStep },
    when?: ChainStep,
  ): ChainStep {
    this.steps.push({ kind: 'insert', target, values: values as Record<string, unknown>, when });
    return new ChainStep(this.steps.length - 1);
  }

  /**
   * An insert that writes nothing (and so runs no step waiting for it) when a row with the same
   * values of the `key` properties, or any other unique value, exists already.
   */
  insertUnlessPresent<T extends ObjectLiteral>(
    target: EntityTarget<T>,
    values: { [K in keyof T]?: T[K] | ChainStep },
    key: Array<keyof T & string>,
    when?: ChainStep,
  ): ChainStep {
    this.steps.push({
      kind: 'insert',
      target,
      values: values as Record<string, unknown>,
      when,
      unlessPresent: key,
    });
    return new ChainStep(this.steps.length - 1);
  }

  update<T extends ObjectLiteral>(
    target: EntityTarget<T>,
    changes: RowChanges<T>,
    where: RowCondition,
    when?: ChainStep,
  ): ChainStep {
    this.steps.push({ kind: 'update', target, changes: changes as Record<string, unknown>, where, when });
    return new ChainStep(this.steps.length - 1);
  }

  async run(manager: EntityManager): Promise<ChainResult> {
    if (manager.connection.options.type !== 'postgres') {
      return this.runInOrder(manager);
    }
    const { text, parameters } = this.statement(manager);
    if (manager.queryRunner === undefined) {
      return PostgresChainBatcher.of(manager.connection).run(this, text, parameters);
    }
    const { records } = await runLedgerQuery(manager, text, parameters);
    return this.resultOf(records[0]);
  }

  /** What the statement (`statement` or `batchStatement`) answered for this chain. */
  resultOf(row: Record<string, unknown> | undefined): ChainResult {
    return new ChainResult(this.steps.map((_, i) => (row?.[`s${i}`] == null ? null : Number(row[`s${i}`]))));
  }

  private async runInOrder(manager: EntityManager): Promise<ChainResult> {
    const outcomes: Array<number | null> = [];
    const wrote = (other: ChainStep) => (outcomes[other.index] ?? 0) > 0;
    for (const step of this.steps) {
      const values = step.kind === 'insert' ? step.values : step.changes;
      let runs = step.when === undefined || wrote(step.when);
      // Values naming earlier rows get those rows' ids; the rest are used as given.
      let resolved = values;
      // `for…in` over the plain values object: no key array per step.
      for (const name in values) {
        const value = values[name];
        if (!isStep(value)) continue;
        runs &&= wrote(value);
        if (resolved === values) resolved = { ...values };
        resolved[name] = outcomes[value.index];
      }
      const key = step.kind === 'insert' ? step.unlessPresent : undefined;
      if (!runs || (key !== undefined && (await isPresent(manager, step.target, key, resolved)))) {
        outcomes.push(null);
        continue;
      }
      outcomes.push(
        step.kind === 'insert'
          ? await insertRow(manager, step.target, resolved)
          : await updateRows(manager, step.target, resolved, step.where),
      );
    }
    return new ChainResult(outcomes);
  }

  /** The chain as one PostgreSQL statement: data-modifying CTEs `s0`, `s1`, … and their outcomes. */
  private statement(manager: EntityManager): { text: string; parameters: unknown[] } {
    const parameters: unknown[] = [];
    const id = manager.connection.driver.escape('id');
    const text = writtenStatement(manager.connection, parameters, (out) => {
      out.add('WITH ');
      this.steps.forEach((step, i) => {
        if (i > 0) out.add(', ');
        out.add(`s${i} AS (`);
        const sql = new StatementWriter(manager, manager.connection.getMetadata(step.target), parameters);
        if (step.kind === 'update') {
          const after = step.when ? `EXISTS (SELECT 1 FROM s${step.when.index})` : undefined;
          sql.update(out, step.changes, step.where, after);
        } else {
          // A row that names or waits for earlier rows is selected from them: none there, none here.
          const sources = sourcesOf(step);
          const from = sources.length === 0 ? undefined : sources.map((index) => `s${index}`).join(', ');
          sql.insert(out, step.values, from, (value) =>
            isStep(value) ? `s${value.index}.${id}` : undefined,
          );
          out.add(onConflict(step));
        }
        out.add(' RETURNING ');
        out.add(id);
        out.add(')');
      });
      out.add(' SELECT ');
      this.steps.forEach((step, i) => {
        if (i > 0) out.add(', ');
        out.add(
          `${step.kind === 'insert' ? `(SELECT min(${id}) FROM s${i})` : `(SELECT count(*) FROM s${i})`} AS s${i}`,
        );
      });
    });
    return { text, parameters };
  }

  /**
   * The statement for many chains of this one's shape at once, one answer row per chain in order.
   * Parameter n is the array of every chain's value n (`statement`'s order), unnested into `b`
   * with one row `k` per chain; each step writes or updates from `b`, and an update returns the
   * `k` of the rows it changed. Inserted ids are drawn up front (`ids`), so each chain's new rows,
   * and the rows that name them, are known by `k`.
   */
  batchStatement(manager: EntityManager): string | undefined {
    const driver = manager.connection.driver;
    const id = driver.escape('id');
    const types: string[] = [];
    const placeholder = (index: number, column: ColumnMetadata) => {
      types[index] = `${driver.normalizeType(column)}[]`;
      return `b.v${index + 1}`;
    };
    const ran = (index: number) =>
      this.steps[index]!.kind === 'insert'
        ? `ids.i${index} IN (SELECT ${id} FROM s${index})`
        : `b.k IN (SELECT k FROM s${index})`;
    const parameters: unknown[] = [];
    const drawn: string[] = [];
    const writes = this.steps.map((step, i) => {
      const metadata = manager.connection.getMetadata(step.target);
      const sql = new StatementWriter(manager, metadata, parameters, placeholder);
      if (step.kind === 'update') {
        const after = step.when ? ran(step.when.index) : undefined;
        const update = sql.statement((out) => sql.update(out, step.changes, step.where, after, 'b'));
        return `s${i} AS (${update} RETURNING b.k)`;
      }
      drawn.push(
        `nextval((SELECT pg_get_serial_sequence(${quoteLiteral(sql.table)}, 'id'))::regclass) AS i${i}`,
      );
      const waits = sourcesOf(step).map(ran);
      const from = `b JOIN ids ON ids.k = b.k${waits.length === 0 ? '' : ` WHERE ${waits.join(' AND ')}`}`;
      const insert = sql.statement((out) =>
        sql.insert(out, { id: OWN_ID, ...step.values }, from, (value) =>
          value === OWN_ID ? `ids.i${i}` : isStep(value) ? `ids.i${value.index}` : undefined,
        ),
      );
      return `s${i} AS (${insert}${onConflict(step)} RETURNING ${id})`;
    });
    if (types.length === 0) return undefined;
    const unnest = types.map((type, i) => `$${i + 1}::${type}`).join(', ');
    const columns = types.map((_, i) => `v${i + 1}`).join(', ');
    const ctes = [`b AS (SELECT * FROM unnest(${unnest}) WITH ORDINALITY AS u(${columns}, k))`];
    if (drawn.length > 0) ctes.push(`ids AS (SELECT b.k, ${drawn.join(', ')} FROM b)`);
    const outcomes = this.steps.map(
      (step, i) =>
        `${step.kind === 'insert' ? `(SELECT min(${id}) FROM s${i} WHERE ${id} = ids.i${i})` : `(SELECT count(*) FROM s${i} WHERE s${i}.k = b.k)`} AS s${i}`,
    );
    const rows = drawn.length > 0 ? 'b JOIN ids ON ids.k = b.k' : 'b';
    return `WITH ${[...ctes, ...writes].join(', ')} SELECT ${outcomes.join(', ')} FROM ${rows} ORDER BY b.k`;
  }
}

/** Stands for the new row's own id in `batchStatement`'s inserts. */
const OWN_ID = Symbol('own id');

/** The earlier steps an insert waits for or names. */
function sourcesOf(step: Extract<Step, { kind: 'insert' }>): number[] {
  const sources = step.when ? [step.when.index] : [];
  for (const name of Object.keys(step.values)) {
    const value = step.values[name];
    if (isStep(value) && !sources.includes(value.index)) sources.push(value.index);
  }
  return sources;
}

/** On PostgreSQL a present row is any unique conflict: the insert then returns no id. */
function onConflict(step: Extract<Step, { kind: 'insert' }>): string {
  return step.unlessPresent === undefined ? '' : ' ON CONFLICT DO NOTHING';
}

/** Elsewhere the chain runs inside a transaction, so the row is looked for first. */
async function isPresent(
  manager: EntityManager,
  target: EntityTarget<ObjectLiteral>,
  key: string[],
  values: Record<string, unknown>,
): Promise<boolean> {
  const equal = Object.fromEntries(key.map((property) => [property, values[property]]));
  return (await findRow(manager, target, equal)) !== null;
}

function quoteLiteral(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

/**
 * Runs `work`, whose writes are chains, atomically: in the caller's transaction when given (as a
 * savepoint), with no transaction of its own on PostgreSQL (each chain is atomic there; reads
 * between chains must not need one), else in a transaction.
 */
export function runChained<T>(
  dataSource: DataSource,
  manager: EntityManager | undefined,
  work: (manager: EntityManager) => Promise<T>,
): Promise<T> {
  if (manager === undefined && dataSource.options.type === 'postgres') {
    return work(dataSource.manager);
  }
  return runInTransaction(dataSource, manager, work);
}

/**
 * Inserts one row that needs no transaction (an event, a nonce) and returns its id. On PostgreSQL
 * it is a chain of one insert, so concurrent inserts of one shape share a statement
 * (`PostgresChainBatcher`); elsewhere it is the one INSERT (`runStandaloneWrite`).
 */
export async function insertStandalone<T extends ObjectLiteral>(
  dataSource: DataSource,
  target: EntityTarget<T>,
  values: { [K in keyof T]?: T[K] },
): Promise<number> {
  if (dataSource.options.type !== 'postgres') {
    return runStandaloneWrite(dataSource, (manager) => insertRow(manager, target, values));
  }
  const chain = new RowChain();
  const inserted = chain.insert(target, values);
  return (await chain.run(dataSource.manager)).id(inserted)!;
}

function isStep(value: unknown): value is ChainStep {
  return value instanceof ChainStep;
}
