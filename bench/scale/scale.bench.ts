/**
 * Scale bench: the round trip with 1,000,000 messages already in both apps' tables against the
 * same round trip on empty tables, interleaved in one run, with the sweeper's plans at that size;
 * and a receiver's RSS after 10,000 and after 100,000 messages.
 *
 * Run: npm run bench:scale  (PARTS=fill,rss; ROWS, COUNT, ROUNDS, CONCURRENCY for the round trip;
 * RSS_COUNT, RSS_STEP for the RSS part; HEAP_SNAPSHOTS=dir writes the receiver's heap at each sample)
 */
import { deleteRedisKeys, formatCpu, measure, series, type Series } from '../roundtrip/roundtrip-run.util.js';
import { formatRatio, printTable, spread } from '../support/bench-stats.util.js';
import { mb, measureReceiverRss } from './receiver-rss.js';
import {
  createPairDatabases,
  fillPair,
  migratePair,
  type PairDatabases,
  type RunningPair,
  SEEDED_EVENTS,
  startPair,
  sweeperPlans,
  tableRows,
} from './scale-roundtrip.js';

const PARTS = (process.env.PARTS ?? 'fill,rss').split(',');
const ROWS = Number(process.env.ROWS ?? 1_000_000);
const COUNT = Number(process.env.COUNT ?? 1000);
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const CONCURRENCY = Number(process.env.CONCURRENCY ?? 16);
/** `CALLBACKS=0` or `1` measures one setting; both by default. */
const CALLBACKS = process.env.CALLBACKS === undefined ? [false, true] : [process.env.CALLBACKS === '1'];
/** The full tables' rate may be no lower than this share of the empty tables' rate. */
const FILL_TARGET = 0.9;
/** Rows a sweeper query may read beyond those it returns (as bench:indexes allows). */
const SLACK = 100;
const RSS_COUNT = Number(process.env.RSS_COUNT ?? 100_000);
const RSS_STEP = Number(process.env.RSS_STEP ?? 10_000);
/** RSS after RSS_COUNT messages may be at most this multiple of RSS after RSS_STEP. */
const RSS_TARGET = 1.1;

const summary: string[] = [];
let missed = false;

const rate = (values: number[]) => {
  const { median, min, max } = spread(values);
  return [median.toFixed(0), `${min.toFixed(0)}–${max.toFixed(0)}`];
};

/** Empty and full pairs, measured alternately (which goes first swaps every round). */
async function compare(callbacks: boolean, empty: PairDatabases, full: PairDatabases, prefixes: string[]) {
  const settings = { callbacks, concurrency: CONCURRENCY };
  const pairs: RunningPair[] = [];
  try {
    pairs.push(await startPair(settings, empty, prefixes));
    pairs.push(await startPair(settings, full, prefixes));
    const warm = Math.max(30, Math.floor(COUNT / 5));
    for (const pair of pairs) await pair.measure(warm);
    const results: [Series, Series] = [series(), series()];
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 === 0 ? [0, 1] : [1, 0];
      for (const i of order) await measure(results[i], COUNT, pairs[i].measure);
    }
    return results;
  } finally {
    for (const pair of pairs) await pair.close();
  }
}

if (PARTS.includes('fill')) {
  const prefixes: string[] = [];
  const empty = await createPairDatabases('empty');
  const full = await createPairDatabases('full');
  try {
    await migratePair(empty);
    const started = performance.now();
    await fillPair(full, ROWS);
    const counts = await tableRows(full.sender);
    console.log(
      `\nFilled sender and receiver databases in ${((performance.now() - started) / 1000).toFixed(0)} s: ${Object.entries(
        counts,
      )
        .map(([table, n]) => `${table} ${n}`)
        .join(', ')} each`,
    );
    for (const callbacks of CALLBACKS) {
      const [atEmpty, atFull] = await compare(callbacks, empty, full, prefixes);
      const ratios = atFull.rates.map((value, i) => value / atEmpty.rates[i]);
      console.log(
        `\nPostgreSQL + Bull, result callbacks ${callbacks ? 'on' : 'off'}: ${COUNT} messages × ${ROUNDS} rounds, ${CONCURRENCY} in flight`,
      );
      printTable(
        ['tables', 'median msg/s', 'min–max msg/s', 'CPU ms/msg: Node + database + broker', 'full ÷ empty'],
        [
          ['empty', ...rate(atEmpty.rates), formatCpu(atEmpty), ''],
          [`${ROWS} messages`, ...rate(atFull.rates), formatCpu(atFull), formatRatio(ratios)],
        ],
      );
      missed ||= spread(ratios).median < FILL_TARGET;
      summary.push(`callbacks ${callbacks ? 'on' : 'off'}: ${formatRatio(ratios)} of the empty-table rate`);
    }
    // What the pipelines wrote per message on the empty pair, beside what was seeded.
    const live = [await tableRows(empty.sender), await tableRows(empty.receiver)];
    const per = (table: string) =>
      (
        live.reduce((sum, c) => sum + c[table], 0) / live.reduce((sum, c) => sum + c.talkto_messages, 0)
      ).toFixed(2);
    console.log(
      `\nRows per message written by the measured runs (both sides of the empty pair): ${per('talkto_attempts')} attempts, ${per('talkto_events')} events (seeded: 1 attempt, ${SEEDED_EVENTS.length} events)`,
    );
    const plans = [
      ...(await sweeperPlans(full.sender, 'inventory')).map((plan) => ({ ...plan, side: 'sender' })),
      ...(await sweeperPlans(full.receiver, 'website')).map((plan) => ({ ...plan, side: 'receiver' })),
    ];
    console.log(`\nSweeper queries at ${ROWS} messages (EXPLAIN ANALYZE, rows read vs returned)`);
    printTable(
      ['database', 'query', 'read', 'returned', 'access'],
      plans.map((plan) => [plan.side, plan.label, String(plan.read), String(plan.returned), plan.access]),
    );
    const off = plans.filter((plan) => plan.read > plan.returned + SLACK || /Seq Scan/.test(plan.access));
    missed ||= off.length > 0;
    summary.push(
      `sweeper: ${plans.length} plans, ${off.length === 0 ? 'all index reads' : `not index reads: ${off.map((plan) => `${plan.side} ${plan.label}`).join(', ')}`}`,
    );
  } finally {
    for (const database of [empty.sender, empty.receiver, full.sender, full.receiver]) await database.drop();
    await deleteRedisKeys(prefixes);
  }
}

if (PARTS.includes('rss')) {
  console.log(
    `\nReceiver RSS (PostgreSQL + Bull, its own process, ${CONCURRENCY} in flight): ${RSS_COUNT} messages, sampled every ${RSS_STEP}`,
  );
  const samples = await measureReceiverRss({ count: RSS_COUNT, step: RSS_STEP, concurrency: CONCURRENCY });
  const first = samples[0];
  const last = samples[samples.length - 1];
  const plain = last.rss / first.rss;
  const collected = last.rssAfterGc / first.rssAfterGc;
  printTable(
    ['messages', 'RSS', 'RSS after gc', 'heap used / total after gc', 'external after gc'],
    samples.map((s) => [
      String(s.messages),
      mb(s.rss),
      mb(s.rssAfterGc),
      `${mb(s.heapAfterGc)} / ${mb(s.heapTotalAfterGc)}`,
      mb(s.externalAfterGc),
    ]),
  );
  missed ||= collected > RSS_TARGET || plain > RSS_TARGET;
  summary.push(
    `receiver RSS after ${last.messages} ÷ after ${first.messages}: ${formatRatio([plain])} as it is, ${formatRatio([collected])} after gc (heap ${formatRatio([last.heapAfterGc / first.heapAfterGc])})`,
  );
}

console.log(
  `\nSUMMARY scale (targets: ≥ 0.9× the empty-table rate at 1,000,000 rows, sweeper on index reads, receiver RSS ≤ ${RSS_TARGET}×; ${missed ? 'MISSED' : 'met'}): ${summary.join('; ')}`,
);
process.exit(0);
