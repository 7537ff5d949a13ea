// The event loop's own turn, not the global a host test's fake timers may replace.
import { setImmediate } from 'node:timers';
import type { DataSource, EntityManager } from 'typeorm';

/** Units one commit may carry: bounds how long the first of them waits for its commit. */
const MAX_UNITS_PER_COMMIT = 32;

interface Unit {
  work: (manager: EntityManager) => Promise<unknown>;
  /** Runs in a transaction of its own (see `run`). */
  exclusive: boolean;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

const committers = new WeakMap<DataSource, SqliteGroupCommit>();

/**
 * The write queue of a better-sqlite3 DataSource. Its one connection can hold one transaction,
 * so writes take turns; and since each commit writes every touched page to the WAL, the turns
 * that are waiting share one transaction, and all of them commit together. A unit's promise
 * settles after that commit, so nobody acts on a write that could still be lost; if the commit
 * fails, every unit fails.
 *
 * A failing unit fails alone: its writes are rolled back, the others' are kept. Units first run
 * without savepoints, because a savepoint makes SQLite copy every page a unit touches into its
 * sub-journal first (for a received message ~15 pages, more than the 64 KiB it keeps in memory, so
 * it spills to a temporary file: ~20 more writes per message). When a unit fails, the whole
 * transaction is rolled back and its units run again, each in its own savepoint, so a unit's work
 * must have no effect outside the transaction (ledger work: statements and their answers).
 * Exclusive work (a handler, a host's transaction) runs alone and never twice: its failure rolls
 * back the transaction that holds it alone.
 */
export class SqliteGroupCommit {
  private readonly waiting: Unit[] = [];
  private draining = false;

  private constructor(private readonly dataSource: DataSource) {}

  static of(dataSource: DataSource): SqliteGroupCommit {
    let committer = committers.get(dataSource);
    if (!committer) {
      committer = new SqliteGroupCommit(dataSource);
      committers.set(dataSource, committer);
    }
    return committer;
  }

  /**
   * Runs `work` in the next shared transaction; settles once that commits.
   * `exclusive` work gets a transaction of its own: work whose length is not ours to know (a
   * handler's own code, an operator's bulk change) must not hold back the commit of others.
   */
  run<T>(work: (manager: EntityManager) => Promise<T>, exclusive = false): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.waiting.push({ work, exclusive, resolve: resolve as (value: unknown) => void, reject });
      if (!this.draining) {
        this.draining = true;
        void this.drain();
      }
    });
  }

  private async drain(): Promise<void> {
    try {
      while (this.waiting.length > 0) {
        await this.commitBatch();
      }
    } finally {
      this.draining = false;
    }
  }

  private async commitBatch(): Promise<void> {
    const runner = this.dataSource.createQueryRunner();
    const units: Unit[] = [];
    let outcomes: Outcome[] = [];
    /** After a failure: each unit in a savepoint of its own. */
    let isolated = false;
    try {
      await runner.startTransaction();
    } catch (error) {
      this.waiting.splice(0).forEach((unit) => unit.reject(error));
      return;
    }
    // Units queued while earlier ones run join this transaction, up to the bound. Before the
    // commit, one turn of the event loop lets requests already read from sockets add theirs.
    while (units.length < MAX_UNITS_PER_COMMIT && !units[0]?.exclusive) {
      if (this.waiting.length === 0) {
        await new Promise((resolve) => setImmediate(resolve));
        if (this.waiting.length === 0) break;
      }
      if (this.waiting[0]!.exclusive && units.length > 0) break;
      const unit = this.waiting.shift()!;
      units.push(unit);
      if (isolated) {
        outcomes.push(await outcomeOf(() => runner.manager.transaction(unit.work)));
        continue;
      }
      const outcome = await outcomeOf(() => unit.work(runner.manager));
      if (outcome.ok) {
        outcomes.push(outcome);
        continue;
      }
      // Without a savepoint, the failed unit's writes go only with the whole transaction's.
      try {
        await runner.rollbackTransaction();
        if (units.length === 1) {
          unit.reject(outcome.error);
          return;
        }
        await runner.startTransaction();
      } catch (error) {
        units.forEach((taken) => taken.reject(error));
        return;
      }
      isolated = true;
      outcomes = [];
      for (const taken of units) {
        outcomes.push(await outcomeOf(() => runner.manager.transaction(taken.work)));
      }
    }
    try {
      await runner.commitTransaction();
    } catch (error) {
      // A subscriber failing after COMMIT does not undo it; only a failed COMMIT fails the units.
      if (runner.isTransactionActive) {
        await runner.rollbackTransaction().catch(() => undefined);
        units.forEach((unit) => unit.reject(error));
        return;
      }
    }
    units.forEach((unit, i) => {
      const outcome = outcomes[i]!;
      if (outcome.ok) unit.resolve(outcome.value);
      else unit.reject(outcome.error);
    });
  }
}

async function outcomeOf(work: () => Promise<unknown>): Promise<Outcome> {
  try {
    return { ok: true, value: await work() };
  } catch (error) {
    return { ok: false, error };
  }
}
