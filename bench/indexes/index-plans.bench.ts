/**
 * Index plans at scale: fills a fresh PostgreSQL and a fresh MariaDB database with 1,000,000
 * messages (bulk INSERT … SELECT), runs every read query the library makes (captured from the
 * library's own services through TypeORM's logger, so the SQL is exactly what a host runs), and
 * prints each one's plan with the rows it read against the rows it returned. No timing: the
 * figures are counts from EXPLAIN ANALYZE / ANALYZE FORMAT=JSON, stable on a loaded machine.
 *
 * Run: npm run bench:indexes  (ROWS=1000000 and ENGINES=postgres,mariadb override)
 */
import 'reflect-metadata';
import { type CanActivate, Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import {
  DeadLetterService,
  PruneService,
  ReportService,
  RetryService,
  StaleRecoveryService,
  TALKTO_ENTITIES,
  TALKTO_MIGRATIONS,
  TalktoModule,
  TraceService,
} from '../../lib/index.js';
import { TalktoBacklogReader } from '../../lib/metrics/talkto-backlog.reader.js';
import { PanelQueries } from '../../lib/panel/panel.queries.js';
import { PassiveHealthQueries } from '../../lib/panel/passive-health.queries.js';
import { MessageLog } from '../../lib/persistence/message.log.js';
import { NonceStore } from '../../lib/persistence/nonce.store.js';
import { TALKTO_DATA_SOURCE } from '../../lib/talkto.constants.js';
import { createBenchDatabase } from '../support/bench-database.util.js';
import {
  CapturingLogger,
  type LabelledPlan,
  planCalls,
  sweeperQueries,
} from '../support/query-plans.util.js';
import { printTable } from '../support/bench-stats.util.js';
import { type FillEngine, fillMessages } from './fill-messages.util.js';

const ROWS = Number(process.env.ROWS ?? 1_000_000);
const ENGINES = (process.env.ENGINES ?? 'postgres,mariadb').split(',') as FillEngine[];
/** Rows a query may read beyond those it returns before it is flagged. */
const SLACK = 100;

@Injectable()
class AllowAll implements CanActivate {
  canActivate(): boolean {
    return true;
  }
}

/** Every read the library makes on its tables, by the caller that makes it. */
function catalogue(get: <T>(type: new (...args: never[]) => T) => T, now: Date) {
  const hourAgo = new Date(now.getTime() - 3_600_000);
  const dayAgo = new Date(now.getTime() - 86_400_000);
  const owner = { service: 'inventory' };
  return [
    ...sweeperQueries(get, now, owner.service),
    ['ledger: by message id', () => get(MessageLog).findByMessageId('m-4242')],
    ['ledger: outgoing by message id (callback)', () => get(MessageLog).findOutgoingByMessageId('m-4242')],
    ['ledger: message id known', () => get(MessageLog).existsByMessageId('m-4242')],
    ['ledger: by id', () => get(MessageLog).findById(4242)],
    ['nonce: known', () => get(NonceStore).isUsed('n-4243')],
    ['metrics/health: oldest due retry', () => get(TalktoBacklogReader).oldestDueRetry(now)],
    ['metrics/health: due retries', () => get(TalktoBacklogReader).countDueRetries(now)],
    ['metrics/health: stale claims', () => get(TalktoBacklogReader).countStaleClaims(now)],
    ['metrics/health: open dead letters', () => get(TalktoBacklogReader).countOpenDeadLetters()],
    [
      'operator: stale recovery',
      () => get(StaleRecoveryService).recover({ dryRun: true, olderThanMinutes: 5 }),
    ],
    ['operator: retry failed (dry run)', () => get(RetryService).retryFailed({ dryRun: true })],
    ['operator: reprocess dead letters (dry run)', () => get(DeadLetterService).reprocess({ dryRun: true })],
    ['operator: list dead letters', () => get(DeadLetterService).list({ status: 'open' })],
    ['operator: prune (dry run, batch 1000)', () => get(PruneService).prune({ dryRun: true, limit: 1000 })],
    ['operator: report (last hour)', () => get(ReportService).report({ hours: 1 })],
    ['operator: trace by message id', () => get(TraceService).trace({ messageId: 'm-4242' })],
    ['operator: trace by correlation id', () => get(TraceService).trace({ correlationId: 'c-707' })],
    ['panel: messages, no filter', () => get(PanelQueries).messages({ page: 1 }, 50)],
    ['panel: messages by status', () => get(PanelQueries).messages({ page: 1, status: 'failed_final' }, 50)],
    ['panel: messages by command', () => get(PanelQueries).messages({ page: 1, command: 'cmd.7' }, 50)],
    ['panel: messages by peer', () => get(PanelQueries).messages({ page: 1, service: 'billing' }, 50)],
    [
      'panel: messages in a time range',
      () => get(PanelQueries).messages({ page: 1, from: dayAgo, to: hourAgo }, 50),
    ],
    [
      'panel: messages, message_id substring (newest 100,000 ids)',
      () => get(PanelQueries).messages({ page: 1, messageId: '4242' }, 50),
    ],
    [
      'panel: messages, idempotency_key substring (newest 100,000 ids)',
      () => get(PanelQueries).messages({ page: 1, idempotencyKey: '4242' }, 50),
    ],
    ['panel: one message', () => get(PanelQueries).message('m-4245')],
    ['panel: correlation', () => get(PanelQueries).correlation('c-707')],
    ['panel: dead letters', () => get(PanelQueries).deadLetters()],
    ['panel: due retries', () => get(PanelQueries).dueRetries(now)],
    [
      'panel: passive health of every peer',
      () =>
        get(PassiveHealthQueries).forPeers(
          'inventory',
          [
            { direction: 'outgoing', peer: 'billing' },
            { direction: 'incoming', peer: 'billing' },
          ],
          dayAgo,
          now,
        ),
    ],
  ] as const;
}

async function runEngine(engine: FillEngine): Promise<LabelledPlan[]> {
  const db = await createBenchDatabase(engine);
  const logger = new CapturingLogger();

  @Module({
    imports: [
      TypeOrmModule.forRoot({
        ...db.options,
        entities: TALKTO_ENTITIES,
        migrations: TALKTO_MIGRATIONS,
        migrationsRun: true,
        logging: true,
        logger,
      } as Parameters<typeof TypeOrmModule.forRoot>[0]),
      TalktoModule.forRoot({
        service: 'inventory',
        queue: { driver: 'in-process' },
        panel: { enabled: true, guard: AllowAll },
        outgoing: { website: { baseUrl: 'http://127.0.0.1:9', secret: 'bench-secret-0123456789abcdef' } },
      }),
    ],
  })
  class IndexPlansModule {}

  process.env.TALKTO_BACKGROUND_WORK = 'off';
  const app = await NestFactory.create(IndexPlansModule, { logger: false });
  try {
    await app.init();
    const dataSource = app.get<DataSource>(TALKTO_DATA_SOURCE);
    const started = performance.now();
    await fillMessages(dataSource, engine, ROWS);
    await dataSource.query(
      engine === 'postgres'
        ? 'ANALYZE'
        : 'ANALYZE TABLE talkto_messages, talkto_attempts, talkto_events, talkto_dead_letters, talkto_nonces',
    );
    console.log(
      `${engine}: ${ROWS} messages filled and analyzed in ${((performance.now() - started) / 1000).toFixed(0)} s`,
    );
    const get = <T>(type: new (...args: never[]) => T): T => app.get(type, { strict: false });
    return await planCalls(dataSource, engine, logger, catalogue(get, new Date()));
  } finally {
    await app.close();
    await db.drop();
  }
}

const summary: string[] = [];
for (const engine of ENGINES) {
  const plans = await runEngine(engine);
  console.log(`\n${engine}, ${ROWS} messages: rows read vs returned per query (EXPLAIN ANALYZE)`);
  printTable(
    ['query', 'read', 'returned', 'access'],
    plans.map((plan) => [plan.label, String(plan.read), String(plan.returned), plan.access]),
  );
  if (process.env.SQL === '1') {
    for (const plan of plans) console.log(`\n-- ${plan.label}\n${plan.sql}`);
  }
  const over = plans.filter((plan) => plan.read > plan.returned + SLACK);
  summary.push(
    `${engine}: ${plans.length} queries, ${over.length} read more than returned + ${SLACK} (${over.map((plan) => plan.label).join(', ') || 'none'})`,
  );
}
console.log(`\nSUMMARY index plans at ${ROWS} messages: ${summary.join('; ')}`);
process.exit(0);
