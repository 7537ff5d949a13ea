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
import type { DataSource, Logger } from 'typeorm';
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
import { RecoveryLedger } from '../../lib/persistence/recovery.ledger.js';
import { TALKTO_DATA_SOURCE } from '../../lib/talkto.constants.js';
import { createBenchDatabase } from '../support/bench-database.util.js';
import { printTable } from '../support/bench-stats.util.js';
import { type FillEngine, fillMessages } from './fill-messages.util.js';

const ROWS = Number(process.env.ROWS ?? 1_000_000);
const ENGINES = (process.env.ENGINES ?? 'postgres,mariadb').split(',') as FillEngine[];
/** Rows a query may read beyond those it returns before it is flagged. */
const SLACK = 100;

interface Captured {
  sql: string;
  parameters: unknown[];
}

/** Collects the SELECTs the library sends while `capture` is on. */
class CapturingLogger implements Logger {
  capture = false;
  readonly captured: Captured[] = [];

  logQuery(query: string, parameters?: unknown[]): void {
    if (this.capture && /^\s*SELECT/i.test(query)) {
      this.captured.push({ sql: query, parameters: parameters ?? [] });
    }
  }
  logQueryError(): void {}
  logQuerySlow(): void {}
  logSchemaBuild(): void {}
  logMigration(): void {}
  log(): void {}
}

@Injectable()
class AllowAll implements CanActivate {
  canActivate(): boolean {
    return true;
  }
}

interface Plan {
  label: string;
  sql: string;
  read: number;
  returned: number;
  access: string;
}

/** Every read the library makes on its tables, by the caller that makes it. */
function catalogue(get: <T>(type: new (...args: never[]) => T) => T, now: Date) {
  const hourAgo = new Date(now.getTime() - 3_600_000);
  const dayAgo = new Date(now.getTime() - 86_400_000);
  const owner = { service: 'inventory' };
  return [
    ['sweeper: stale claims', () => get(RecoveryLedger).findStaleClaims(now, 100, owner)],
    ['sweeper: abandoned sends', () => get(RecoveryLedger).findAbandonedSends(now, 100, owner)],
    ['sweeper: due retries', () => get(RecoveryLedger).findDueRetries(now, 100, owner)],
    [
      'sweeper: lost jobs',
      () =>
        get(RecoveryLedger).findDispatchable(now, 100, {
          ...owner,
          waitedBefore: new Date(now.getTime() - 60_000),
        }),
    ],
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

async function explain(
  dataSource: DataSource,
  engine: FillEngine,
  query: Captured,
): Promise<Omit<Plan, 'label' | 'sql'>> {
  const rows = (await dataSource.query(query.sql, query.parameters)) as Array<Record<string, unknown>>;
  // A count returns one row but stands for the rows it counted: those are what it may read.
  const counted = rows.length === 1 && 'cnt' in rows[0] ? Number(rows[0].cnt) : rows.length;
  const returned = Math.max(rows.length, counted);
  if (engine === 'postgres') {
    const [row] = await dataSource.query(`EXPLAIN (ANALYZE, FORMAT JSON) ${query.sql}`, query.parameters);
    const plan = (row['QUERY PLAN'] as Array<{ Plan: PgNode }>)[0].Plan;
    const access: string[] = [];
    return { read: pgRowsRead(plan, access), returned, access: access.join('; ') };
  }
  const [row] = await dataSource.query(`ANALYZE FORMAT=JSON ${query.sql}`, query.parameters);
  const access: string[] = [];
  return {
    read: mariaRowsRead(JSON.parse(row.ANALYZE as string), access),
    returned,
    access: access.join('; '),
  };
}

interface PgNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  'Actual Rows': number;
  'Actual Loops': number;
  'Rows Removed by Filter'?: number;
  'Rows Removed by Index Recheck'?: number;
  Plans?: PgNode[];
}

/** Rows taken from a table or index scan (kept plus filtered out), over all loops. */
function pgRowsRead(node: PgNode, access: string[]): number {
  let read = 0;
  if (node['Relation Name'] !== undefined || node['Node Type'] === 'Bitmap Index Scan') {
    const name = node['Index Name'] ? `${node['Node Type']} ${node['Index Name']}` : node['Node Type'];
    access.push(name.replace(/^(Index|Bitmap Index|Index Only) Scan (Backward )?/, (m) => m.toLowerCase()));
  }
  if (node['Relation Name'] !== undefined) {
    read +=
      (node['Actual Rows'] +
        (node['Rows Removed by Filter'] ?? 0) +
        (node['Rows Removed by Index Recheck'] ?? 0)) *
      node['Actual Loops'];
  }
  for (const child of node.Plans ?? []) read += pgRowsRead(child, access);
  return read;
}

/** Rows MariaDB read per table access (`r_rows` × `r_loops`), walking the whole plan. */
function mariaRowsRead(node: unknown, access: string[]): number {
  if (node === null || typeof node !== 'object') return 0;
  let read = 0;
  const record = node as Record<string, unknown>;
  if (typeof record.table_name === 'string' && 'access_type' in record) {
    access.push(`${record.table_name} ${record.access_type}${record.key ? ` ${String(record.key)}` : ''}`);
    read += Number(record.r_rows ?? 0) * Number(record.r_loops ?? 1);
  }
  for (const value of Object.values(record)) {
    if (Array.isArray(value)) for (const item of value) read += mariaRowsRead(item, access);
    else if (typeof value === 'object') read += mariaRowsRead(value, access);
  }
  return read;
}

async function runEngine(engine: FillEngine): Promise<Plan[]> {
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
    const plans: Plan[] = [];
    for (const [label, run] of catalogue(get, new Date())) {
      logger.captured.length = 0;
      logger.capture = true;
      try {
        await run();
      } finally {
        logger.capture = false;
      }
      const queries = [...logger.captured];
      for (const [i, query] of queries.entries()) {
        const result = await explain(dataSource, engine, query);
        plans.push({ label: queries.length > 1 ? `${label} #${i + 1}` : label, sql: query.sql, ...result });
      }
    }
    return plans;
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
