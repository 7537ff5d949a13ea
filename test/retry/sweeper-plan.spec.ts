import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource, type DataSourceOptions, type EntityManager, type Logger } from 'typeorm';
import { TalktoMessageEntity } from '../../lib/persistence/entities/message.entity.js';
import { TALKTO_ENTITIES } from '../../lib/persistence/entities/talkto.entities.js';
import { type Ledgers, ledgersFor } from '../support/ledgers.js';
import { TALKTO_MIGRATIONS } from '../../lib/persistence/migrations/talkto.migrations.js';
import { createTestDatabase, type TestDatabase } from '../support/databases.js';

/**
 * The sweeper runs its three queries every few seconds on tables that only grow. This proves, with
 * the engine's own planner on a table of ~20 000 rows that are not due, that each query walks an
 * index bounded by the due rows instead of reading the table.
 */

const NOW = new Date('2026-03-01T12:00:00.000Z');
const SERVICE = 'shop';
const BACKGROUND_ROWS = 20_000;
const DUE_ROWS_PER_KIND = 5;

type SqlEngine = 'postgres' | 'mariadb';

interface CapturedQuery {
  sql: string;
  parameters: unknown[];
}

/** Records the SELECTs TypeORM sends while `recording` is on, so we explain the ledger's exact SQL. */
class CapturingLogger implements Logger {
  recording = false;
  readonly queries: CapturedQuery[] = [];
  logQuery(query: string, parameters?: unknown[]): void {
    if (this.recording) this.queries.push({ sql: query, parameters: parameters ?? [] });
  }
  logQueryError(): void {}
  logQuerySlow(): void {}
  logSchemaBuild(): void {}
  logMigration(): void {}
  log(): void {}
}

function at(offsetMinutes: number): Date {
  return new Date(NOW.getTime() + offsetMinutes * 60_000);
}

/** A row as a pipeline would leave it; `index` keeps message ids unique. */
function row(index: number, overrides: Partial<TalktoMessageEntity>): Partial<TalktoMessageEntity> {
  const outgoing = (overrides.direction ?? 'outgoing') === 'outgoing';
  return {
    messageId: `plan-${index}`,
    direction: 'outgoing',
    sourceService: outgoing ? SERVICE : 'billing',
    targetService: outgoing ? 'billing' : SERVICE,
    command: 'billing.create-invoice',
    payload: '{"order_id":7}',
    payloadHash: 'h'.repeat(64),
    overallStatus: 'completed',
    transportStatus: 'sent',
    schemaVersion: 1,
    attempts: 1,
    retryCount: 0,
    maxAttempts: 5,
    createdAt: at(-600),
    updatedAt: at(-600),
    ...overrides,
  };
}

/**
 * The rows a busy service accumulates: almost all finished, some resting before a future retry, some
 * held by live claims. None of them is due now.
 */
function backgroundRow(index: number): Partial<TalktoMessageEntity> {
  const slot = index % 100;
  if (slot < 4) {
    return row(index, {
      overallStatus: 'failed_retryable',
      transportStatus: 'failed_retryable',
      nextRetryAt: at(30),
    });
  }
  if (slot < 6) {
    return row(index, {
      overallStatus: 'sending',
      transportStatus: 'sending',
      lockedBy: 'worker-live',
      lockedUntil: at(5),
    });
  }
  if (slot < 8) {
    return row(index, {
      direction: 'incoming',
      overallStatus: 'queued',
      transportStatus: null,
      destinationActionStatus: 'queued',
      lockedBy: 'dispatch-claim:live',
      lockedUntil: at(5),
    });
  }
  if (slot < 10) {
    return row(index, { overallStatus: 'failed_final', transportStatus: 'failed_final', failedAt: at(-300) });
  }
  if (slot < 40) {
    return row(index, {
      direction: 'incoming',
      overallStatus: 'succeeded',
      transportStatus: null,
      destinationActionStatus: 'succeeded',
    });
  }
  // A sent message keeps the next_retry_at of its last retry, so history piles up behind `now` there.
  const retried = slot % 5 === 0;
  return row(index, { overallStatus: 'completed', nextRetryAt: retried ? at(-500) : null });
}

/** The rows the sweeper must find: due retries, lost jobs and expired claims. */
function dueRows(start: number): Partial<TalktoMessageEntity>[] {
  const rows: Partial<TalktoMessageEntity>[] = [];
  for (let i = 0; i < DUE_ROWS_PER_KIND; i += 1) {
    rows.push(
      row(start + i * 3, {
        overallStatus: 'failed_retryable',
        transportStatus: 'failed_retryable',
        nextRetryAt: at(-10),
        retryCount: 1,
        attempts: 1,
      }),
      row(start + i * 3 + 1, { overallStatus: 'waiting_to_send', transportStatus: 'pending' }),
      row(start + i * 3 + 2, {
        overallStatus: 'sending',
        transportStatus: 'sending',
        lockedBy: 'worker-dead',
        lockedUntil: at(-1),
        attempts: 1,
      }),
    );
  }
  return rows;
}

/**
 * Inserts rows in large multi-row statements, about twice as fast here as the ORM's insert; the
 * table and its indexes end up the same either way.
 */
async function insertRows(manager: EntityManager, rows: Partial<TalktoMessageEntity>[]): Promise<void> {
  const dataSource = manager.connection;
  const metadata = dataSource.getMetadata(TalktoMessageEntity);
  const columns = metadata.columns.filter((column) => rows.some((row) => column.propertyName in row));
  const postgres = dataSource.options.type === 'postgres';
  const parameters: unknown[] = [];
  const tuples = rows.map(
    (row) =>
      `(${columns
        .map((column) => {
          parameters.push(row[column.propertyName as keyof TalktoMessageEntity] ?? null);
          return postgres ? `$${parameters.length}` : '?';
        })
        .join(', ')})`,
  );
  const names = columns.map((column) => dataSource.driver.escape(column.databaseName)).join(', ');
  await manager.query(
    `INSERT INTO ${dataSource.driver.escape(metadata.tableName)} (${names}) VALUES ${tuples.join(', ')}`,
    parameters,
  );
}

async function seed(dataSource: DataSource): Promise<void> {
  const chunk = 1000;
  await dataSource.transaction(async (manager) => {
    for (let start = 0; start < BACKGROUND_ROWS; start += chunk) {
      const rows = Array.from({ length: chunk }, (_, offset) => backgroundRow(start + offset));
      await insertRows(manager, rows);
    }
    await insertRows(manager, dueRows(BACKGROUND_ROWS));
  });
}

async function captureQuery(
  logger: CapturingLogger,
  run: () => Promise<TalktoMessageEntity[]>,
): Promise<{ query: CapturedQuery; found: number }> {
  logger.queries.length = 0;
  logger.recording = true;
  let found: TalktoMessageEntity[];
  try {
    found = await run();
  } finally {
    logger.recording = false;
  }
  expect(logger.queries).toHaveLength(1);
  return { query: logger.queries[0]!, found: found.length };
}

/** One table access in a plan: how the engine reads the rows and how many it looks at. */
interface TableAccess {
  /** PostgreSQL node type (`Index Scan`, `Bitmap Index Scan`, `Seq Scan`) or MariaDB access type. */
  access: string;
  index: string | null;
  /** The planner's estimate. */
  estimatedRows: number;
  /** Rows the engine read from this access when the query ran (before any filter). */
  examinedRows: number;
}

interface PlanNode {
  'Node Type': string;
  'Index Name'?: string;
  'Plan Rows': number;
  'Actual Rows'?: number;
  'Actual Loops'?: number;
  'Rows Removed by Filter'?: number;
  'Rows Removed by Index Recheck'?: number;
  Plans?: PlanNode[];
}

/** The leaves of a PostgreSQL plan: where rows come from. */
function postgresAccesses(node: PlanNode): TableAccess[] {
  const children = (node.Plans ?? []).flatMap(postgresAccesses);
  if (children.length > 0 || !/Scan/.test(node['Node Type'])) return children;
  const loops = node['Actual Loops'] ?? 1;
  const returned = (node['Actual Rows'] ?? 0) * loops;
  return [
    {
      access: node['Node Type'],
      index: node['Index Name'] ?? null,
      estimatedRows: node['Plan Rows'],
      examinedRows: returned + (node['Rows Removed by Filter'] ?? 0),
    },
  ];
}

interface MariadbTable {
  access_type: string;
  key?: string;
  rows: number;
  r_rows?: number;
}

/** Every `table` object of a MariaDB JSON plan, wherever filesort or nesting put it. */
function mariadbAccesses(node: unknown): TableAccess[] {
  if (typeof node !== 'object' || node === null) return [];
  const found: TableAccess[] = [];
  for (const [key, value] of Object.entries(node)) {
    if (key === 'table' && typeof value === 'object' && value !== null && 'access_type' in value) {
      const table = value as MariadbTable;
      found.push({
        access: table.access_type,
        index: table.key ?? null,
        estimatedRows: table.rows,
        examinedRows: Math.round(table.r_rows ?? 0),
      });
    }
    found.push(...mariadbAccesses(value));
  }
  return found;
}

/**
 * Plans the captured query twice: `EXPLAIN` for the chosen plan, then the engine's analysing form
 * (which runs it) for the rows really read. Both use the captured SQL and parameters unchanged.
 */
async function plan(dataSource: DataSource, engine: SqlEngine, query: CapturedQuery): Promise<TableAccess[]> {
  const run = async (prefix: string): Promise<unknown> => {
    const result = (await dataSource.query(prefix + query.sql, query.parameters)) as Record<
      string,
      unknown
    >[];
    const cell = Object.values(result[0]!)[0];
    return typeof cell === 'string' ? JSON.parse(cell) : cell;
  };
  if (engine === 'postgres') {
    const [explained] = (await run('EXPLAIN (FORMAT JSON) ')) as { Plan: PlanNode }[];
    const [analysed] = (await run('EXPLAIN (ANALYZE, FORMAT JSON) ')) as { Plan: PlanNode }[];
    const estimated = postgresAccesses(explained!.Plan);
    const examined = postgresAccesses(analysed!.Plan);
    expect(examined.map((a) => a.index)).toEqual(estimated.map((a) => a.index));
    return examined;
  }
  const estimated = mariadbAccesses(await run('EXPLAIN FORMAT=JSON '));
  const examined = mariadbAccesses(await run('ANALYZE FORMAT=JSON '));
  expect(examined.map((a) => a.index)).toEqual(estimated.map((a) => a.index));
  return examined;
}

const FULL_SCANS = ['Seq Scan', 'ALL', 'index'];
const SWEEPER_INDEXES = ['talkto_messages_retry_due_idx', 'talkto_messages_lease_idx'];

/**
 * Reads go through the sweeper's indexes only (the intended one among them, when one is), never
 * through the whole table.
 */
function expectIndexedPlan(accesses: TableAccess[], intended?: string): void {
  expect(accesses.length).toBeGreaterThan(0);
  for (const access of accesses) {
    expect(FULL_SCANS).not.toContain(access.access);
    expect(SWEEPER_INDEXES).toContain(access.index);
  }
  if (intended !== undefined) expect(accesses.map((access) => access.index)).toContain(intended);
}

function examined(accesses: TableAccess[]): number {
  return accesses.reduce((sum, access) => sum + access.examinedRows, 0);
}

describe.each(['postgres', 'mariadb'] as const)('sweeper query plans on %s', (engine) => {
  let database: TestDatabase;
  let dataSource: DataSource;
  let ledger: Ledgers;
  const logger = new CapturingLogger();

  beforeAll(async () => {
    database = await createTestDatabase(engine);
    dataSource = await new DataSource({
      ...database.options,
      entities: TALKTO_ENTITIES,
      migrations: TALKTO_MIGRATIONS,
      logger,
    } as DataSourceOptions).initialize();
    await dataSource.runMigrations();
    await seed(dataSource);
    await dataSource.query(
      engine === 'postgres' ? 'ANALYZE talkto_messages' : 'ANALYZE TABLE talkto_messages',
    );
    ledger = ledgersFor(dataSource);
  }, 120_000);

  afterAll(async () => {
    await dataSource?.destroy();
    await database?.drop();
  });

  it('finds due retries through the due-retry index, reading only the due rows', async () => {
    const { query, found } = await captureQuery(logger, () =>
      ledger.recovery.findDueRetries(NOW, 100, { service: SERVICE }),
    );
    const accesses = await plan(dataSource, engine, query);

    expect(found).toBe(DUE_ROWS_PER_KIND);
    expectIndexedPlan(accesses, 'talkto_messages_retry_due_idx');
    expect(examined(accesses)).toBeLessThanOrEqual(found);
  });

  it('finds expired claims through the lease index, reading only the expired ones', async () => {
    const { query, found } = await captureQuery(logger, () =>
      ledger.recovery.findStaleClaims(NOW, 100, { service: SERVICE }),
    );
    const accesses = await plan(dataSource, engine, query);

    expect(found).toBe(DUE_ROWS_PER_KIND);
    expectIndexedPlan(accesses, 'talkto_messages_lease_idx');
    expect(examined(accesses)).toBeLessThanOrEqual(found);
  });

  // Both indexes start with the status; PostgreSQL picks the due-retry one, MariaDB the lease one.
  it('finds lost jobs through a status-led index, reading at most the rows in a waiting status', async () => {
    const { query, found } = await captureQuery(logger, () =>
      ledger.recovery.findDispatchable(NOW, 100, { service: SERVICE, waitedBefore: at(-1) }),
    );
    const accesses = await plan(dataSource, engine, query);
    // Rows waiting for a job that a live claim holds: in flight now, so never history.
    const [{ waiting }] = (await dataSource.query(
      "SELECT COUNT(*) AS waiting FROM talkto_messages WHERE overall_status IN ('waiting_to_send', 'queued')",
    )) as { waiting: string | number }[];

    expect(found).toBe(DUE_ROWS_PER_KIND);
    expectIndexedPlan(accesses);
    expect(examined(accesses)).toBeLessThanOrEqual(Number(waiting));
    expect(Number(waiting)).toBeLessThan(BACKGROUND_ROWS / 20);
  });
});
