import { createHash } from 'node:crypto';
import { Logger } from '@nestjs/common';
import {
  type DataSource,
  type EntityManager,
  QueryFailedError,
  type QueryRunner,
  QueryRunnerAlreadyReleasedError,
} from 'typeorm';

/** What one ledger statement answered. */
export interface LedgerQueryResult {
  /** Rows it returned (RETURNING or SELECT). */
  records: Array<Record<string, unknown>>;
  /** Rows it changed, where the engine says. */
  affected?: number;
  /** The driver's own answer: the new row id on MySQL/MariaDB (`insertId`) and SQLite. */
  raw: unknown;
}

/** The part of node-postgres' client a named statement needs. */
interface PgClient {
  query(config: { name: string; text: string; values: unknown[] }): Promise<{
    rows: Array<Record<string, unknown>>;
    rowCount: number | null;
  }>;
}

/** The part of a better-sqlite3 connection a cached statement needs. */
interface SqliteConnection {
  prepare(sql: string): SqliteStatement;
}

interface SqliteStatement {
  readonly reader: boolean;
  all(...values: unknown[]): Array<Record<string, unknown>>;
  run(...values: unknown[]): { changes: number; lastInsertRowid: number | bigint };
}

/** Statement names by SQL text; the ledger writes a few dozen shapes, the cap bounds both caches. */
const statementNames = new Map<string, string>();
const MAX_CACHED_STATEMENTS = 500;

/** PostgreSQL data sources that lost a prepared statement: their statements run unprepared. */
const unpreparedSources = new WeakSet<DataSource>();

/** Prepared SQLite statements per connection, by SQL text. */
const sqliteStatements = new WeakMap<SqliteConnection, Map<string, SqliteStatement>>();

/**
 * Runs one of the ledger's own statements through the manager's connection (its transaction, if
 * any). On PostgreSQL the statement is a named prepared statement: the server parses and plans
 * each text once per connection instead of on every call, which halved PostgreSQL's CPU per ledger
 * statement (planning against tables with this many indexes costs about as much as executing).
 * On better-sqlite3 it runs a statement prepared once per connection, without TypeORM's per-query
 * subscriber broadcasts (a ledger step is several statements). Errors are TypeORM's
 * `QueryFailedError` on every engine, and the data source's logger sees the statement as it sees
 * TypeORM's own.
 */
export async function runLedgerQuery(
  manager: EntityManager,
  sql: string,
  parameters: unknown[],
): Promise<LedgerQueryResult> {
  const runner = manager.queryRunner ?? manager.connection.createQueryRunner();
  try {
    const type = manager.connection.options.type;
    const name =
      type === 'postgres' && !unpreparedSources.has(manager.connection) ? statementName(sql) : undefined;
    if (name !== undefined) {
      try {
        return await runDirectly(manager, runner, sql, parameters, async (connection) => {
          const result = await (connection as PgClient).query({ name, text: sql, values: parameters });
          return { records: result.rows, affected: result.rowCount ?? undefined, raw: result.rows };
        });
      } catch (error) {
        if (!isLostPreparedStatement(error)) throw error;
        stopPreparing(manager.connection);
        // Nothing ran; outside a transaction the statement can simply run unprepared. Inside one,
        // PostgreSQL has aborted the transaction: the caller's retry will run unprepared.
        if (runner.isTransactionActive) throw error;
      }
    }
    if (type === 'better-sqlite3') {
      return await runDirectly(manager, runner, sql, parameters, (connection) =>
        runSqlite(connection as SqliteConnection, sql, parameters),
      );
    }
    if (type === 'mysql' || type === 'mariadb') {
      return await runDirectly(manager, runner, sql, parameters, (connection) =>
        runMysql(connection as MysqlConnection, sql, parameters),
      );
    }
    const result = (await runner.query(sql, parameters, true)) as LedgerQueryResult;
    return { records: result.records ?? [], affected: result.affected, raw: result.raw };
  } catch (error) {
    throw withoutValues(error);
  } finally {
    if (!manager.queryRunner) await runner.release();
  }
}

/** The driver's own connection, with TypeORM's logging and error type around the call. */
async function runDirectly(
  manager: EntityManager,
  runner: QueryRunner,
  sql: string,
  parameters: unknown[],
  run: (connection: unknown) => LedgerQueryResult | Promise<LedgerQueryResult>,
): Promise<LedgerQueryResult> {
  // TypeORM's own query() refuses a released runner; its connection may serve someone else now.
  if (runner.isReleased) throw new QueryRunnerAlreadyReleasedError();
  const connection: unknown = await runner.connect();
  // A failure's log line and error carry no values (payloads, keys, peers' answers); the values
  // reach the logger only where the host turned on TypeORM's query logging, as for its own queries.
  const logger = manager.connection.logger;
  logger.logQuery(sql, parameters, runner);
  try {
    // better-sqlite3 answers at once: awaiting only a promise spares each statement a turn.
    const answer = run(connection);
    return answer instanceof Promise ? await answer : answer;
  } catch (error) {
    logger.logQueryError(error as Error, sql, undefined, runner);
    throw new QueryFailedError(sql, undefined, error as Error);
  }
}

/**
 * A failed statement's error as it leaves the ledger: its SQL, the driver's message and codes,
 * and none of the values. TypeORM's `QueryFailedError` carries the parameters, and copies every
 * property of the driver's error (mysql2's `sql` has the values written in); a host's exception
 * handler that prints the error would print the payload.
 */
function withoutValues(error: unknown): unknown {
  if (!(error instanceof QueryFailedError)) return error;
  const driverError = (error.driverError ?? {}) as Record<string, unknown>;
  const safe = new Error(typeof driverError.message === 'string' ? driverError.message : error.message);
  for (const key of SAFE_DRIVER_ERROR_FIELDS) {
    if (driverError[key] !== undefined) (safe as unknown as Record<string, unknown>)[key] = driverError[key];
  }
  safe.name = typeof driverError.name === 'string' ? driverError.name : safe.name;
  const stripped = new QueryFailedError(error.query, undefined, safe);
  stripped.stack = error.stack;
  return stripped;
}

/** What a driver error says about the failure without repeating the values (codes, names). */
const SAFE_DRIVER_ERROR_FIELDS = [
  'code',
  'errno',
  'sqlState',
  'severity',
  'constraint',
  'table',
  'column',
  'routine',
];

/** The part of a mysql2 (or mysql) connection a plain query needs. */
interface MysqlConnection {
  query(
    options: { sql: string; values: unknown[] },
    callback: (error: Error | null, result: unknown) => void,
  ): unknown;
}

/** As TypeORM's MySQL runner answers: rows for a read, the result header (`insertId`) for a write. */
function runMysql(
  connection: MysqlConnection,
  sql: string,
  parameters: unknown[],
): Promise<LedgerQueryResult> {
  return new Promise((resolve, reject) => {
    connection.query({ sql, values: parameters }, (error, result) => {
      if (error) return reject(error);
      if (Array.isArray(result))
        return resolve({ records: result as Array<Record<string, unknown>>, raw: result });
      const header = result as { affectedRows?: number };
      resolve({ records: [], affected: header.affectedRows, raw: result });
    });
  });
}

function runSqlite(connection: SqliteConnection, sql: string, parameters: unknown[]): LedgerQueryResult {
  let statements = sqliteStatements.get(connection);
  if (statements === undefined) {
    statements = new Map();
    sqliteStatements.set(connection, statements);
  }
  let statement = statements.get(sql);
  if (statement === undefined) {
    statement = connection.prepare(sql);
    if (statements.size < MAX_CACHED_STATEMENTS) statements.set(sql, statement);
  }
  if (statement.reader) {
    const rows = statement.all(...parameters);
    return { records: rows, raw: rows };
  }
  const result = statement.run(...parameters);
  return { records: [], affected: result.changes, raw: result.lastInsertRowid };
}

/**
 * A prepared statement the client believes parsed is missing on the server (26000), or a name is
 * taken there (42P05): a pooler in transaction mode hands statements to other server connections,
 * or someone ran DEALLOCATE / DISCARD on the connection.
 */
function isLostPreparedStatement(error: unknown): boolean {
  const code = sqlStateOf(error);
  return code === '26000' || code === '42P05';
}

/** The SQLSTATE of a ledger statement's failure on PostgreSQL (node-postgres' `code`), if any. */
export function sqlStateOf(error: unknown): string | undefined {
  const code =
    error instanceof QueryFailedError ? (error.driverError as { code?: unknown })?.code : undefined;
  return typeof code === 'string' ? code : undefined;
}

function stopPreparing(dataSource: DataSource): void {
  if (unpreparedSources.has(dataSource)) return;
  unpreparedSources.add(dataSource);
  new Logger('Talkto').warn(
    'A prepared Talkto statement was missing or already taken on the PostgreSQL server (a pooler ' +
      'in transaction mode, or DEALLOCATE/DISCARD on the connection); Talkto statements on this ' +
      'data source now run unprepared.',
  );
}

/**
 * The name derives from the text, so one name means one statement in every process and version:
 * behind a pooler that hands a server connection to several clients, a name can never run another
 * client's different statement.
 */
function statementName(sql: string): string | undefined {
  let name = statementNames.get(sql);
  if (name === undefined && statementNames.size < MAX_CACHED_STATEMENTS) {
    name = `talkto_${createHash('sha256').update(sql).digest('hex').slice(0, 32)}`;
    statementNames.set(sql, name);
  }
  return name;
}
