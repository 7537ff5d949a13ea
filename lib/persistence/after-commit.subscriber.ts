import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type {
  DataSource,
  EntityManager,
  EntitySubscriberInterface,
  QueryRunner,
  TransactionCommitEvent,
  TransactionRollbackEvent,
} from 'typeorm';
import { TALKTO_DATA_SOURCE } from '../talkto.constants.js';

type Action = () => Promise<void>;

interface Pending {
  /** Transaction depth when registered; a rolled-back savepoint discards what it registered. */
  depth: number;
  action: Action;
}

/**
 * Runs work after the outermost transaction of a query runner commits, and never after a rollback.
 * This is what makes the outbox safe: no job leaves for a row that the caller may still roll back.
 * It is a TypeORM subscriber on the Talkto DataSource, added by the module at init (the pattern the
 * NestJS TypeORM docs show) and removed again at shutdown.
 */
@Injectable()
export class AfterCommitSubscriber implements EntitySubscriberInterface, OnModuleInit, OnModuleDestroy {
  private readonly pending = new WeakMap<QueryRunner, Pending[]>();
  private readonly logger = new Logger('Talkto');

  constructor(@Inject(TALKTO_DATA_SOURCE) private readonly dataSource: DataSource) {}

  onModuleInit(): void {
    if (!this.dataSource.subscribers.includes(this)) {
      this.dataSource.subscribers.push(this);
    }
  }

  onModuleDestroy(): void {
    const index = this.dataSource.subscribers.indexOf(this);
    if (index >= 0) {
      this.dataSource.subscribers.splice(index, 1);
    }
  }

  /**
   * Runs `action` once `manager`'s transaction commits, or now when `manager` is outside any
   * transaction (its writes are already committed). Returns whether it was deferred.
   */
  async runAfterCommit(manager: EntityManager | undefined, action: Action): Promise<boolean> {
    const runner = manager?.queryRunner;
    if (!runner || !runner.isTransactionActive) {
      await action();
      return false;
    }
    this.defer(runner, action);
    return true;
  }

  /** The synchronous half, for subscribers that already hold the query runner. */
  defer(runner: QueryRunner, action: Action): void {
    const list = this.pending.get(runner) ?? [];
    list.push({ depth: depthOf(runner), action });
    this.pending.set(runner, list);
  }

  async afterTransactionCommit(event: TransactionCommitEvent): Promise<void> {
    const runner = event.queryRunner;
    const list = this.pending.get(runner);
    if (!list) {
      return;
    }
    if (runner.isTransactionActive) {
      // A savepoint was released: its work now belongs to the enclosing transaction.
      const depth = depthOf(runner);
      list.forEach((entry) => (entry.depth = Math.min(entry.depth, depth)));
      return;
    }
    this.pending.delete(runner);
    for (const entry of list) {
      try {
        await entry.action();
      } catch (error) {
        // The commit has happened; failing it now would lie to the caller. The rows stay
        // dispatchable and the sweeper picks them up.
        this.logger.warn(`After-commit work failed: ${(error as Error).message}`);
      }
    }
  }

  afterTransactionRollback(event: TransactionRollbackEvent): void {
    const runner = event.queryRunner;
    const list = this.pending.get(runner);
    if (!list) {
      return;
    }
    if (!runner.isTransactionActive) {
      this.pending.delete(runner);
      return;
    }
    const depth = depthOf(runner);
    this.pending.set(
      runner,
      list.filter((entry) => entry.depth <= depth),
    );
  }
}

/** TypeORM keeps the nesting depth on every query runner; the interface just does not declare it. */
function depthOf(runner: QueryRunner): number {
  const depth = (runner as QueryRunner & { transactionDepth?: number }).transactionDepth;
  return typeof depth === 'number' ? depth : 1;
}
