import type { DataSource, Logger } from 'typeorm';

/** Queries marked with this comment (a test's own reads) are not counted. */
export const UNCOUNTED = 'uncounted';

/**
 * Every statement a DataSource sends to its server, as TypeORM's logger sees it (the ledger's own
 * statements report to it too), each named by what it does: `insert messages+events` for a
 * PostgreSQL chain, `select messages`, `begin`, `commit`, `savepoint`. No mock: the statements
 * still run.
 */
export class StatementLog {
  readonly statements: string[] = [];
  recording = false;

  static of(dataSource: DataSource): StatementLog {
    const log = new StatementLog();
    const logger = dataSource.logger;
    const counting: Logger = {
      logQuery: (query, parameters, runner) => {
        if (log.recording && !query.includes(`/* ${UNCOUNTED} */`)) log.statements.push(nameOf(query));
        logger.logQuery(query, parameters, runner);
      },
      logQueryError: (error, query, parameters, runner) =>
        logger.logQueryError(error, query, parameters, runner),
      logQuerySlow: (time, query, parameters, runner) => logger.logQuerySlow(time, query, parameters, runner),
      logSchemaBuild: (message, runner) => logger.logSchemaBuild(message, runner),
      logMigration: (message, runner) => logger.logMigration(message, runner),
      log: (level, message, runner) => logger.log(level, message, runner),
    };
    Object.assign(dataSource, { logger: counting });
    return log;
  }

  /** The statements `work` sends, in order. */
  async during(work: () => Promise<unknown>): Promise<string[]> {
    this.statements.length = 0;
    this.recording = true;
    try {
      await work();
    } finally {
      this.recording = false;
    }
    return [...this.statements];
  }
}

/**
 * The statements grouped by transaction, each group one line: `begin · insert messages · insert
 * events · commit`; a statement outside a transaction is a line of its own.
 */
export function byTransaction(statements: string[]): string[] {
  const lines: string[] = [];
  let open: string[] | null = null;
  for (const statement of statements) {
    if (statement === 'begin' && open === null) open = [];
    if (open === null) {
      lines.push(statement);
      continue;
    }
    open.push(statement);
    if (statement === 'commit' || statement === 'rollback') {
      lines.push(open.join(' · '));
      open = null;
    }
  }
  if (open !== null) lines.push(open.join(' · '));
  return lines;
}

const VERB = /^\s*(insert\s+into|update|delete\s+from|select\b[\s\S]*?\bfrom)\s+[`"]?(\w+)[`"]?/i;

/** What a statement does, by verb and table (`talkto_` left out); a chain lists each write. */
export function nameOf(sql: string): string {
  const text = sql.trim();
  const control = /^(begin|start transaction|commit|rollback|savepoint|release)/i.exec(text);
  if (control) return control[1]!.toLowerCase().replace('start transaction', 'begin');
  if (/^with b as/i.test(text)) return `batch of ${chainWrites(text)}`;
  if (/^with s0 as/i.test(text)) return chainWrites(text);
  const match = VERB.exec(text);
  return match ? `${verbOf(match[1]!)} ${tableOf(match[2]!)}` : text.slice(0, 40);
}

/** The writes of a chain statement, e.g. `update messages, insert attempts+events`. */
function chainWrites(sql: string): string {
  const writes = [...sql.matchAll(/\bs\d+ AS \((INSERT INTO|UPDATE) "(\w+)"/g)].map(
    (match) => [verbOf(match[1]!), tableOf(match[2]!)] as const,
  );
  const parts: string[] = [];
  for (const [verb, table] of writes) {
    const last = parts.length - 1;
    if (last >= 0 && parts[last]!.startsWith(`${verb} `)) parts[last] += `+${table}`;
    else parts.push(`${verb} ${table}`);
  }
  return parts.join(', ');
}

function verbOf(sql: string): string {
  return sql.split(/\s+/)[0]!.toLowerCase();
}

function tableOf(name: string): string {
  return name.replace(/^talkto_/, '');
}
