import type { DataSource, EntityManager } from 'typeorm';

const sqliteTails = new WeakMap<DataSource, Promise<unknown>>();

/**
 * Runs `work` in a transaction. Inside a caller's transaction (`manager`) it becomes a savepoint,
 * so a unique-index race we recover from does not abort the caller's PostgreSQL transaction.
 * better-sqlite3 has one connection per DataSource, and TypeORM would interleave two concurrent
 * transactions on it, so there they run one after another.
 */
export function runInTransaction<T>(
  dataSource: DataSource,
  manager: EntityManager | undefined,
  work: (manager: EntityManager) => Promise<T>,
): Promise<T> {
  if (manager) {
    return manager.transaction(work);
  }
  if (dataSource.options.type !== 'better-sqlite3') {
    return dataSource.transaction(work);
  }
  return inSqliteTurn(dataSource, () => dataSource.transaction(work));
}

/**
 * Runs a single write that needs no transaction of its own. On better-sqlite3 it still waits for
 * the queued transactions: on the one shared connection it would otherwise run inside whichever
 * transaction is open and be rolled back with it.
 */
export function runStandaloneWrite<T>(
  dataSource: DataSource,
  work: (manager: EntityManager) => Promise<T>,
): Promise<T> {
  if (dataSource.options.type !== 'better-sqlite3') {
    return work(dataSource.manager);
  }
  return inSqliteTurn(dataSource, () => work(dataSource.manager));
}

function inSqliteTurn<T>(dataSource: DataSource, task: () => Promise<T>): Promise<T> {
  const previous = sqliteTails.get(dataSource) ?? Promise.resolve();
  const result = previous.then(task, task);
  sqliteTails.set(
    dataSource,
    result.catch(() => undefined),
  );
  return result;
}
