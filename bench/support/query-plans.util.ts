/**
 * Rows a query reads against rows it returns, from the engine's own plan: the SELECTs the library
 * sends are captured through TypeORM's logger and run again under EXPLAIN ANALYZE (PostgreSQL) or
 * ANALYZE FORMAT=JSON (MariaDB). Counts, not times: they do not depend on the machine's load.
 */
import type { DataSource, Logger } from 'typeorm';
import { RecoveryLedger } from '../../lib/persistence/recovery.ledger.js';

export type PlanEngine = 'postgres' | 'mariadb';

export interface LabelledPlan extends QueryPlan {
  label: string;
  sql: string;
}

export interface QueryPlan {
  read: number;
  returned: number;
  /** The scans and indexes the plan used. */
  access: string;
}

export interface Captured {
  sql: string;
  parameters: unknown[];
}

/** Collects the SELECTs the library sends while `capture` is on. */
export class CapturingLogger implements Logger {
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

/** The sweeper's reads for `service`'s rows (as `TalktoSweeper` makes them), by label. */
export function sweeperQueries(get: <T>(type: new (...args: never[]) => T) => T, now: Date, service: string) {
  const owner = { service };
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
  ] as const;
}

export async function explain(
  dataSource: DataSource,
  engine: PlanEngine,
  query: Captured,
): Promise<QueryPlan> {
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

/**
 * Runs each labelled call with `logger` capturing, then every SELECT it sent under the engine's
 * EXPLAIN; a call that sent several gets `#1`, `#2`… after its label.
 */
export async function planCalls(
  dataSource: DataSource,
  engine: PlanEngine,
  logger: CapturingLogger,
  calls: ReadonlyArray<readonly [string, () => Promise<unknown>]>,
): Promise<LabelledPlan[]> {
  const plans: LabelledPlan[] = [];
  for (const [label, run] of calls) {
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
}
