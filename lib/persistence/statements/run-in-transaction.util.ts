import type { DataSource, EntityManager } from 'typeorm';
import { SqliteGroupCommit } from './sqlite-group-commit.js';

/**
 * Runs `work` in a transaction. Inside a caller's transaction (`manager`) it becomes a savepoint,
 * so a unique-index race we recover from does not abort the caller's PostgreSQL transaction.
 * better-sqlite3 has one connection per DataSource, and TypeORM would interleave two concurrent
 * transactions on it, so there they take turns in the DataSource's group commit; `exclusive` is
 * for work of unknown length (user code, bulk changes), which then commits on its own.
 */
export function runInTransaction<T>(
  dataSource: DataSource,
  manager: EntityManager | undefined,
  work: (manager: EntityManager) => Promise<T>,
  options: { exclusive?: boolean } = {},
): Promise<T> {
  if (manager) {
    return manager.transaction(work);
  }
  if (dataSource.options.type !== 'better-sqlite3') {
    return dataSource.transaction(work);
  }
  return SqliteGroupCommit.of(dataSource).run(work, options.exclusive);
}

/**
 * Runs a single write that needs no transaction of its own. On better-sqlite3 it still takes its
 * turn in the group commit: on the one shared connection it would otherwise run inside whichever
 * transaction is open and be rolled back with it.
 */
export function runStandaloneWrite<T>(
  dataSource: DataSource,
  work: (manager: EntityManager) => Promise<T>,
): Promise<T> {
  if (dataSource.options.type !== 'better-sqlite3') {
    return work(dataSource.manager);
  }
  return SqliteGroupCommit.of(dataSource).run(work);
}
