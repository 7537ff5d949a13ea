import type { DataSource, EntityManager, EntityTarget, ObjectLiteral } from 'typeorm';
import {
  type RowChanges,
  type RowCondition,
  StatementWriter,
  insertRow,
  updateRows,
} from './row-statements.js';
import { runLedgerQuery } from './ledger-query.js';
import { runInTransaction } from './run-in-transaction.util.js';

/** A write of a chain; as a value, the id of the row it wrote (an insert's new id). */
export class ChainStep {
  constructor(readonly index: number) {}
}

type Step =
  | { kind: 'insert'; target: EntityTarget<ObjectLiteral>; values: Record<string, unknown>; when?: ChainStep }
  | {
      kind: 'update';
      target: EntityTarget<ObjectLiteral>;
      changes: Record<string, unknown>;
      where: RowCondition;
      when?: ChainStep;
    };

/** Per step: an insert's new id, an update's count of rows; null when the step did not run. */
export class ChainResult {
  constructor(private readonly outcomes: Array<number | null>) {}

  /** The id an insert wrote; null when it did not run. */
  id(step: ChainStep): number | null {
    return this.outcomes[step.index] ?? null;
  }

  /** Whether the step wrote or changed a row. */
  wrote(step: ChainStep): boolean {
    return (this.outcomes[step.index] ?? 0) > 0;
  }
}

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
    return manager.connection.options.type === 'postgres'
      ? this.runAsOneStatement(manager)
      : this.runInOrder(manager);
  }

  private async runInOrder(manager: EntityManager): Promise<ChainResult> {
    const outcomes: Array<number | null> = [];
    const wrote = (other: ChainStep) => (outcomes[other.index] ?? 0) > 0;
    for (const step of this.steps) {
      const values = step.kind === 'insert' ? step.values : step.changes;
      let runs = step.when === undefined || wrote(step.when);
      // Values naming earlier rows get those rows' ids; the rest are used as given.
      let resolved = values;
      for (const name of Object.keys(values)) {
        const value = values[name];
        if (!isStep(value)) continue;
        runs &&= wrote(value);
        if (resolved === values) resolved = { ...values };
        resolved[name] = outcomes[value.index];
      }
      if (!runs) {
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

  private async runAsOneStatement(manager: EntityManager): Promise<ChainResult> {
    const parameters: unknown[] = [];
    const id = manager.connection.driver.escape('id');
    const writes = this.steps.map((step, i) => {
      const sql = new StatementWriter(manager, manager.connection.getMetadata(step.target), parameters);
      if (step.kind === 'update') {
        const after = step.when ? `EXISTS (SELECT 1 FROM s${step.when.index})` : undefined;
        return `s${i} AS (${sql.update(step.changes, step.where, after)} RETURNING ${id})`;
      }
      // A row that names or waits for earlier rows is selected from them: none there, none here.
      const sources = new Set<number>(step.when ? [step.when.index] : []);
      Object.values(step.values)
        .filter(isStep)
        .forEach((other) => sources.add(other.index));
      const from = sources.size === 0 ? undefined : [...sources].map((index) => `s${index}`).join(', ');
      const insert = sql.insert(step.values, from, (value) =>
        isStep(value) ? `s${value.index}.${id}` : undefined,
      );
      return `s${i} AS (${insert} RETURNING ${id})`;
    });
    const outcomes = this.steps
      .map((step, i) =>
        step.kind === 'insert' ? `(SELECT min(${id}) FROM s${i})` : `(SELECT count(*) FROM s${i})`,
      )
      .map((expression, i) => `${expression} AS s${i}`);
    const { records } = await runLedgerQuery(
      manager,
      `WITH ${writes.join(', ')} SELECT ${outcomes.join(', ')}`,
      parameters,
    );
    const row = records[0] as Record<string, string | number | null> | undefined;
    return new ChainResult(this.steps.map((_, i) => (row![`s${i}`] === null ? null : Number(row![`s${i}`]))));
  }
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

function isStep(value: unknown): value is ChainStep {
  return value instanceof ChainStep;
}
