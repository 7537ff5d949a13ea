import { Inject, Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver.js';
import { TALKTO_DATA_SOURCE } from '../talkto.constants.js';

interface PgEvents {
  on(event: string, listener: (...args: unknown[]) => void): unknown;
  off(event: string, listener: (...args: unknown[]) => void): unknown;
}

/** The failure still reaches whoever uses the client next: pg no longer lets it run a query. */
const ignoreClientError = (): void => undefined;

/**
 * Keeps a PostgreSQL session ended by the server (`pg_terminate_backend`, a failover) from ending
 * the process. A new pool client can be ended in the same read as its ready signal, after the pool
 * has handed it out and before TypeORM's query runner, which attaches its listener a promise step
 * later, listens for its `error`: pg then emits an `error` with no listener, which Node throws.
 * Each new client of the Talkto DataSource gets a listener of its own while the module runs.
 */
@Injectable()
export class PostgresClientErrorsListener implements OnModuleInit, OnModuleDestroy {
  constructor(@Inject(TALKTO_DATA_SOURCE) private readonly dataSource: DataSource) {}

  onModuleInit(): void {
    for (const pool of this.pools()) pool.on('connect', this.listenToClient);
  }

  onModuleDestroy(): void {
    for (const pool of this.pools()) pool.off('connect', this.listenToClient);
  }

  private readonly listenToClient = (client: unknown): void => {
    (client as PgEvents).on('error', ignoreClientError);
  };

  private pools(): PgEvents[] {
    if (this.dataSource.options.type !== 'postgres') return [];
    const driver = this.dataSource.driver as PostgresDriver;
    return [driver.master as PgEvents | undefined, ...(driver.slaves as PgEvents[])].filter(
      (pool): pool is PgEvents => pool !== undefined,
    );
  }
}
