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
 * that are waiting share one transaction: each runs in its own savepoint (a failure rolls back
 * that unit only) and all of them commit together. A unit's promise settles after that commit,
 * so nobody acts on a write that could still be lost; if the commit fails, every unit fails.
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
   * Runs `work` in a savepoint of the next shared transaction; settles once that commits.
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
    const outcomes: Outcome[] = [];
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
      try {
        outcomes.push({ ok: true, value: await runner.manager.transaction(unit.work) });
      } catch (error) {
        outcomes.push({ ok: false, error });
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
