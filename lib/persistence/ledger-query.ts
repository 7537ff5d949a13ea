import { type EntityManager, QueryFailedError, QueryRunnerAlreadyReleasedError } from 'typeorm';

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

/** Statement names by SQL text; the ledger writes a few dozen shapes, the cap is a safety net. */
const statementNames = new Map<string, string>();
const MAX_NAMED_STATEMENTS = 500;

/**
 * Runs one of the ledger's own statements through the manager's connection (its transaction, if
 * any). On PostgreSQL the statement is a named prepared statement: the server parses and plans
 * each text once per connection instead of on every call, which halved PostgreSQL's CPU per ledger
 * statement (planning against tables with this many indexes costs about as much as executing).
 * Errors are TypeORM's `QueryFailedError` on every engine, and the data source's logger sees the
 * statement as it sees TypeORM's own.
 */
export async function runLedgerQuery(
  manager: EntityManager,
  sql: string,
  parameters: unknown[],
): Promise<LedgerQueryResult> {
  const runner = manager.queryRunner ?? manager.connection.createQueryRunner();
  try {
    const name = manager.connection.options.type === 'postgres' ? statementName(sql) : undefined;
    if (name === undefined) {
      const result = (await runner.query(sql, parameters, true)) as LedgerQueryResult;
      return { records: result.records ?? [], affected: result.affected, raw: result.raw };
    }
    // TypeORM's own query() refuses a released runner; its connection may serve someone else now.
    if (runner.isReleased) throw new QueryRunnerAlreadyReleasedError();
    const client = (await runner.connect()) as PgClient;
    const logger = manager.connection.logger;
    logger.logQuery(sql, parameters, runner);
    try {
      const result = await client.query({ name, text: sql, values: parameters });
      return { records: result.rows, affected: result.rowCount ?? undefined, raw: result.rows };
    } catch (error) {
      logger.logQueryError(error as Error, sql, parameters, runner);
      throw new QueryFailedError(sql, parameters, error as Error);
    }
  } finally {
    if (!manager.queryRunner) await runner.release();
  }
}

function statementName(sql: string): string | undefined {
  let name = statementNames.get(sql);
  if (name === undefined && statementNames.size < MAX_NAMED_STATEMENTS) {
    name = `talkto_${statementNames.size + 1}`;
    statementNames.set(sql, name);
  }
  return name;
}
