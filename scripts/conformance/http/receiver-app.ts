import 'reflect-metadata';
import { createServer, type RequestListener, type Server } from 'node:http';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { type INestApplication, Module, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import {
  FixedTalktoClock,
  TALKTO_ENTITIES,
  TALKTO_MIGRATIONS,
  TalktoModule,
  type TalktoModuleOptions,
} from '../../../lib/index.js';
import { TALKTO_QUEUE_DRIVER } from '../../../lib/queue/queue.constants.js';
import type { TalktoQueueDriver } from '../../../lib/queue/talkto-queue.port.js';

export type ReceiverAdapter = 'express' | 'fastify';

// Lenient parsing lets a control character in a header value reach the verifier, as a permissive
// front server would; Node's default parser answers 400 before any app code runs.
const lenientServer = (handler: RequestListener): Server =>
  createServer({ insecureHTTPParser: true }, handler);

/** A Nest app running the library as one of the vectors' services, on its own SQLite file. */
export class ReceiverApp {
  private constructor(
    readonly app: INestApplication,
    /** Our own server, when the adapter's was not used. */
    private readonly server: Server | null,
    readonly port: number,
    readonly clock: FixedTalktoClock,
    private readonly file: string,
  ) {}

  /** `controllers` are the host's own routes, served beside Talkto's. */
  static async start(
    options: TalktoModuleOptions,
    adapter: ReceiverAdapter,
    controllers: Type<unknown>[] = [],
  ): Promise<ReceiverApp> {
    const file = join(tmpdir(), `talkto-conformance-${process.pid}-${randomBytes(4).toString('hex')}.sqlite`);
    const clock = new FixedTalktoClock(new Date(0));

    @Module({
      imports: [
        TypeOrmModule.forRoot({
          type: 'better-sqlite3',
          database: file,
          entities: TALKTO_ENTITIES,
          migrations: TALKTO_MIGRATIONS,
          migrationsRun: true,
          synchronize: false,
          logging: false,
        }),
        TalktoModule.forRoot({ ...options, clock, queue: { driver: 'in-process' } }),
      ],
      controllers,
    })
    class ConformanceReceiverModule {}

    const httpAdapter =
      adapter === 'fastify'
        ? new FastifyAdapter({ serverFactory: (handler: RequestListener) => lenientServer(handler) })
        : new ExpressAdapter();
    const app = await NestFactory.create(ConformanceReceiverModule, httpAdapter, {
      rawBody: true,
      logger: false,
    });
    let server: Server;
    if (adapter === 'express') {
      // Nest's Express adapter builds its own server; serve the app from a lenient one instead.
      await app.init();
      server = lenientServer(httpAdapter.getInstance<RequestListener>());
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    } else {
      await app.listen(0, '127.0.0.1');
      server = app.getHttpServer() as Server;
    }
    // Background processing off: a delivered command stays stored and queued, as the PHP receiver
    // left it when the vectors were recorded, so later cases see it `already_accepted`.
    await app.get<TalktoQueueDriver>(TALKTO_QUEUE_DRIVER).stop();
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    return new ReceiverApp(app, adapter === 'express' ? server : null, port, clock, file);
  }

  /** Empties every table so the next case starts from nothing. */
  async reset(): Promise<void> {
    const dataSource = this.app.get(DataSource);
    for (const entity of dataSource.entityMetadatas) {
      await dataSource.createQueryBuilder().delete().from(entity.target).execute();
    }
  }

  async close(): Promise<void> {
    const server = this.server;
    if (server) {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
    await this.app.close();
    await Promise.all(
      ['', '-wal', '-shm', '-journal'].map((suffix) => rm(this.file + suffix, { force: true })),
    );
  }
}
