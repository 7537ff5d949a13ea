/**
 * Panel bench: every panel page of a real Nest app on PostgreSQL holding ROWS message rows (default
 * 1,000,000, seeded in bulk), loaded ROUNDS times after one warm-up load, with each page's median and
 * slowest time. Every SELECT a page runs is then EXPLAINed, and a sequential scan of a big table is
 * reported by table, so an unindexed query shows up by name.
 *
 * Run: npm run bench:panel  (ROWS, HISTORY, ROUNDS override; VERBOSE=1 prints every statement with its
 * EXPLAIN ANALYZE time; SCREENSHOTS=dir saves a full-page PNG
 * of each page through headless Chromium)
 */
import { mkdir } from 'node:fs/promises';
import type { Logger } from 'typeorm';
import { DataSource } from 'typeorm';
import { freePort } from '../../test/support/free-port.js';
import { launchHeadlessChromium } from '../../test/support/headless-browser.js';
import { startBenchTalktoApp } from '../roundtrip/talkto-app.bench.js';
import { printTable, spread } from '../support/bench-stats.util.js';
import { INCOMING_PEERS, OUTGOING_PEERS, seedMessages } from '../support/seed-messages.js';

const ROWS = Number(process.env.ROWS ?? 1_000_000);
const HISTORY = Number(process.env.HISTORY ?? 100_000);
const ROUNDS = Number(process.env.ROUNDS ?? 5);
const SCREENSHOTS = process.env.SCREENSHOTS;
/** The budget of the issue: a page answers in well under a second. */
const BUDGET_MS = 1000;
const SECRET = 'panel-bench-secret-0123456789-abcdefghij';
const BIG_TABLES = ['talkto_messages', 'talkto_attempts', 'talkto_events', 'talkto_dead_letters'];

/** Records the SELECTs run while `recording` is on, with their parameters. */
class StatementRecorder implements Logger {
  recording = false;
  statements: Array<{ query: string; parameters: unknown[] }> = [];
  logQuery(query: string, parameters?: unknown[]) {
    if (this.recording && /^\s*SELECT/i.test(query))
      this.statements.push({ query, parameters: parameters ?? [] });
  }
  logQueryError() {}
  logQuerySlow() {}
  logSchemaBuild() {}
  logMigration() {}
  log() {}
}

interface SeqScan {
  table: string;
  rows: number;
}

/** Sequential scans of the big tables in a plan (the JSON of EXPLAIN), with the planner's row estimate. */
function seqScans(plan: Record<string, unknown>): SeqScan[] {
  const found: SeqScan[] = [];
  const visit = (node: Record<string, unknown>) => {
    if (node['Node Type'] === 'Seq Scan' && BIG_TABLES.includes(String(node['Relation Name']))) {
      found.push({ table: String(node['Relation Name']), rows: Number(node['Plan Rows']) });
    }
    for (const child of (node.Plans as Array<Record<string, unknown>> | undefined) ?? []) visit(child);
  };
  visit(plan);
  return found;
}

async function main() {
  process.env.TALKTO_BACKGROUND_WORK = 'off';
  const recorder = new StatementRecorder();
  const app = await startBenchTalktoApp(
    'postgres',
    await freePort(),
    {
      service: 'shop',
      sweeper: { enabled: false },
      unknownCommandStrategy: 'skip',
      panel: { enabled: true },
      outgoing: Object.fromEntries(
        OUTGOING_PEERS.map((name) => [
          name,
          { baseUrl: `https://${name}.internal`, secret: SECRET, health: { endpoint: '/health' } },
        ]),
      ),
      incoming: Object.fromEntries(
        INCOMING_PEERS.map((name) => [
          name,
          { secret: SECRET, allowedCommands: ['order.place', 'stock.reserve'] },
        ]),
      ),
    },
    [],
    recorder,
  );
  try {
    const dataSource = app.app.get(DataSource);
    const seeding = performance.now();
    await seedMessages(dataSource, { count: ROWS, historyRows: HISTORY, service: 'shop', dueRetries: true });
    console.log(
      `seeded ${ROWS} messages (+${HISTORY} attempts, ${HISTORY * 2} events, dead letters) in ${((performance.now() - seeding) / 1000).toFixed(1)} s`,
    );
    const [newest] = (await dataSource.query(
      `SELECT id, message_id, correlation_id FROM talkto_messages WHERE direction = 'outgoing' ORDER BY id ASC LIMIT 1`,
    )) as Array<{ id: number; message_id: string; correlation_id: string }>;
    const [oldest] = (await dataSource.query(
      `SELECT message_id FROM talkto_messages ORDER BY id DESC LIMIT 1`,
    )) as Array<{ message_id: string }>;
    const pages: Array<[string, string]> = [
      ['index', '/talkto'],
      ['overview', '/talkto/overview'],
      ['overview, one peer', '/talkto/overview?peer=ledger'],
      ['messages', '/talkto/messages'],
      ['messages, page 200', '/talkto/messages?page=200'],
      ['messages, direction + status', '/talkto/messages?direction=outgoing&status=failed_retryable'],
      ['messages, not completed', '/talkto/messages?completion_state=not_completed'],
      ['messages, peer', '/talkto/messages?direction=incoming&service=website'],
      ['messages, command', '/talkto/messages?command=invoice.pay'],
      ['messages, message_id substring', `/talkto/messages?message_id=${newest.message_id.slice(9, 18)}`],
      ['messages, message_id digits', `/talkto/messages?message_id=${newest.id}`],
      ['messages, correlation_id', `/talkto/messages?correlation_id=${newest.correlation_id}`],
      ['messages, business_key', '/talkto/messages?business_key=order-4242'],
      ['messages, idempotency_key substring', '/talkto/messages?idempotency_key=idem-99999'],
      ['messages, created range', '/talkto/messages?created_from=2020-01-01&created_to=2020-02-01'],
      ['message detail (newest)', `/talkto/messages/${newest.message_id}`],
      ['message detail (oldest)', `/talkto/messages/${oldest.message_id}`],
      ['callback status', `/talkto/messages/${newest.message_id}/callback-status`],
      ['correlation trace', `/talkto/trace/${newest.correlation_id}`],
      ['dead letters', '/talkto/dead-letters'],
      ['retries', '/talkto/retries'],
      ['connections', '/talkto/connections'],
    ];
    const rows: string[][] = [];
    const slow: string[] = [];
    for (const [name, path] of pages) {
      const load = async () => {
        const started = performance.now();
        const response = await fetch(`${app.url}${path}`);
        const body = await response.text();
        if (response.status !== 200)
          throw new Error(`${path} answered ${response.status}: ${body.slice(0, 200)}`);
        return performance.now() - started;
      };
      recorder.statements = [];
      recorder.recording = true;
      await load();
      recorder.recording = false;
      const times: number[] = [];
      for (let round = 0; round < ROUNDS; round++) times.push(await load());
      const scans: string[] = [];
      let slowest = { ms: 0, index: 0 };
      for (const [index, { query, parameters }] of recorder.statements.entries()) {
        const [{ 'QUERY PLAN': plan }] = (await dataSource.query(
          `EXPLAIN (ANALYZE, FORMAT JSON) ${query}`,
          parameters,
        )) as Array<{
          'QUERY PLAN': Array<{ Plan: Record<string, unknown>; 'Execution Time': number }>;
        }>;
        for (const scan of seqScans(plan[0].Plan)) scans.push(`${scan.table}~${scan.rows}`);
        if (plan[0]['Execution Time'] > slowest.ms)
          slowest = { ms: plan[0]['Execution Time'], index: index + 1 };
        if (process.env.VERBOSE === '1')
          console.log(`${name} #${index + 1} ${plan[0]['Execution Time'].toFixed(1)} ms: ${query}`);
      }
      const { median, max } = spread(times);
      if (median > BUDGET_MS) slow.push(name);
      rows.push([
        name,
        median.toFixed(0),
        max.toFixed(0),
        String(recorder.statements.length),
        recorder.statements.length === 0 ? '—' : `#${slowest.index}: ${slowest.ms.toFixed(0)}`,
        scans.length === 0 ? 'none' : [...new Set(scans)].join(' '),
      ]);
    }
    console.log(`\n${ROWS} message rows, ${ROUNDS} loads per page after one warm-up (ms):\n`);
    printTable(
      ['page', 'median', 'max', 'SELECTs', 'slowest SELECT (ms)', 'seq scans of big tables (estimated rows)'],
      rows,
    );
    if (SCREENSHOTS) {
      await mkdir(SCREENSHOTS, { recursive: true });
      const browser = await launchHeadlessChromium();
      try {
        const page = await browser.context.newPage();
        for (const [name, path] of pages) {
          await page.goto(`${app.url}${path}`);
          await page.screenshot({
            path: `${SCREENSHOTS}/${name.replace(/[^a-z0-9]+/gi, '-')}.png`,
            fullPage: true,
          });
        }
      } finally {
        await browser.close();
      }
    }
    console.log(
      `\nSUMMARY panel pages at ${ROWS} rows: ${slow.length === 0 ? `every median under ${BUDGET_MS} ms` : `MISSED ${BUDGET_MS} ms: ${slow.join(', ')}`}`,
    );
  } finally {
    await app.close();
  }
}

await main();
