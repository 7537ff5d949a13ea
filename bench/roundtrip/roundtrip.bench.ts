/**
 * Round-trip bench: messages per second between two real Nest apps on 127.0.0.1, against a naive
 * pair (HMAC + fetch + one INSERT, no ledger, nonces or queue) measured in the same run, in two
 * setups: SQLite file + in-process queue, and PostgreSQL + Bull on Redis. Also the receive route
 * alone (pre-signed unique requests) against a bare Nest POST endpoint. With `CALLBACKS=1` on
 * PostgreSQL, also against the broker pairs a team would build instead (BullMQ, RabbitMQ), each
 * with a PostgreSQL outbox and inbox and a result back.
 *
 * Run: npm run bench:roundtrip  (COUNT, CONCURRENCY, ROUNDS and SETUPS=sqlite,postgres override;
 * SETUPS=postgres-in-process measures PostgreSQL without Bull, to tell the queue's share;
 * SETUPS=postgres-bullmq the same on BullMQ; PAIRS=bullmq,rabbitmq picks the broker pairs, PAIRS= none;
 * MEASURE=route measures the receive route alone and the bare POST, nothing else; PROFILE=<dir>
 * writes a CPU profile of each of Talkto's measurements there)
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { TalktoModuleOptions } from '../../lib/index.js';
import { freePort } from '../../test/support/free-port.js';
import { SQLITE_WAL } from '../support/bench-database.util.js';
import { profiled } from '../support/cpu-profile.util.js';
import { formatRatio, printTable, spread } from '../support/bench-stats.util.js';
import type { BaselinePair } from './baseline-pair.js';
import { CompletionCounter } from './bench-handler.fixture.js';
import { startBullmqPair } from './bullmq-pair.app.js';
import { startNaivePair, type NaivePair } from './naive-pair.app.js';
import { startRabbitmqPair } from './rabbitmq-pair.app.js';
import {
  BENCH_PAYLOAD as PAYLOAD,
  deleteRedisKeys,
  formatCpu,
  measure,
  pool as poolOf,
  post,
  presigned,
  REDIS_URL,
  series,
  type Series,
  withBackgroundWorkOff,
  withDeadline,
} from './roundtrip-run.util.js';
import { type BenchTalktoApp, startBenchTalktoApp } from './talkto-app.bench.js';
import { RECEIVER_PROVIDERS, receiverOptions, startBenchSender, talktoRoundTrip } from './talkto-pair.js';

// A baseline round of 200 lasts ~0.1 s, too short to leave its start-up (new keep-alive sockets, the
// previous round's garbage) behind: the ratios came out ~1.5× too kind. 1000 measures steady state.
const COUNT = Number(process.env.COUNT ?? 1000);
const CONCURRENCY = Number(process.env.CONCURRENCY ?? 16);
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const SETUPS = (process.env.SETUPS ?? 'sqlite,postgres').split(',');
/** Result callbacks on (each command is then also a signed result back; the naive pair sends none). */
const CALLBACKS = process.env.CALLBACKS === '1';
const AMQP_URL = process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
/** Broker pairs measured with `CALLBACKS=1` on PostgreSQL setups (they always carry a result back). */
const PAIRS = (process.env.PAIRS ?? 'bullmq,rabbitmq').split(',').filter(Boolean);
const BROKER_PAIRS: Record<string, { name: string; start: () => Promise<BaselinePair> }> = {
  bullmq: {
    name: 'BullMQ pair, PostgreSQL outbox/inbox',
    start: () => startBullmqPair(REDIS_URL, CONCURRENCY),
  },
  rabbitmq: {
    name: 'RabbitMQ pair, PostgreSQL outbox/inbox',
    start: () => startRabbitmqPair(AMQP_URL, CONCURRENCY),
  },
};
/** `route`: only the receive route alone against the bare POST (no round trip, pairs or handlers). */
const ROUTE_ONLY = process.env.MEASURE === 'route';
if (ROUTE_ONLY && CALLBACKS) throw new Error('MEASURE=route measures no callbacks: drop CALLBACKS=1');
/** Issue 20: the receive route alone at ≥ 0.8× of a bare Nest POST. */
const RECEIVE_TARGET = 0.8;

interface Setup {
  /** What `SETUPS` names it by. */
  key: string;
  name: string;
  /** One of the setups the targets are set for. */
  target: boolean;
  database: 'sqlite' | 'postgres';
  queue: 'in-process' | 'bull' | 'bullmq';
}

const ALL_SETUPS: Setup[] = [
  {
    key: 'sqlite',
    name: 'SQLite file + in-process queue',
    target: true,
    database: 'sqlite',
    queue: 'in-process',
  },
  { key: 'postgres', name: 'PostgreSQL + Bull on Redis', target: true, database: 'postgres', queue: 'bull' },
  // Beside `postgres`, the same work on BullMQ.
  {
    key: 'postgres-bullmq',
    name: 'PostgreSQL + BullMQ on Redis',
    target: false,
    database: 'postgres',
    queue: 'bullmq',
  },
  // Beside `postgres`, it shows what Bull costs.
  {
    key: 'postgres-in-process',
    name: 'PostgreSQL + in-process queue',
    target: false,
    database: 'postgres',
    queue: 'in-process',
  },
];

const pool = (count: number, task: (i: number) => Promise<unknown>) => poolOf(count, CONCURRENCY, task);

function queueOption(setup: Setup, prefixes: string[]): TalktoModuleOptions['queue'] {
  if (setup.queue === 'in-process') {
    return { driver: 'in-process' };
  }
  const prefix = `talkto-bench-${randomBytes(4).toString('hex')}`;
  prefixes.push(prefix);
  return { driver: setup.queue, redis: REDIS_URL, prefix };
}

interface SetupResult {
  setup: Setup;
  talkto: Series;
  naive: Series;
  receive: Series;
  receiveBusy: Series;
  bare: Series;
  /** Broker pairs by key, with `CALLBACKS=1` on PostgreSQL. */
  pairs: Map<string, Series>;
}

async function runSetup(setup: Setup): Promise<SetupResult> {
  const prefixes: string[] = [];
  const [senderPort, receiverPort, routePort, naivePort, naiveResultPort] = [
    await freePort(),
    await freePort(),
    await freePort(),
    await freePort(),
    await freePort(),
  ];
  let website: BenchTalktoApp | undefined;
  let routeOnly: BenchTalktoApp | undefined;
  let inventory: BenchTalktoApp | undefined;
  let naive: NaivePair | undefined;
  const brokerPairs = new Map<string, BaselinePair>();
  try {
    const settings = { callbacks: CALLBACKS, concurrency: CONCURRENCY };
    const receiver = () =>
      receiverOptions(settings, queueOption(setup, prefixes), `http://127.0.0.1:${senderPort}`);
    // The receive route alone: the same receiver with its workers and sweeper asleep (the
    // documented switch for processes that only take requests), so no handler work competes.
    routeOnly = await withBackgroundWorkOff(() =>
      startBenchTalktoApp(setup.database, routePort, receiver(), RECEIVER_PROVIDERS),
    );
    if (!ROUTE_ONLY) {
      website = await startBenchTalktoApp(setup.database, receiverPort, receiver(), RECEIVER_PROVIDERS);
      inventory = await startBenchSender(
        settings,
        setup.database,
        senderPort,
        queueOption(setup, prefixes),
        website.url,
      );
    }
    naive = await startNaivePair(setup.database, naivePort, CALLBACKS ? naiveResultPort : undefined);
    if (CALLBACKS && setup.database === 'postgres') {
      for (const key of PAIRS) {
        const pair = BROKER_PAIRS[key];
        brokerPairs.set(key, await pair.start());
      }
    }
    const routeOnlyUrl = `${routeOnly.url}/api/talkto/receive`;
    const naivePair = naive;
    const roundTripApps = website && inventory ? { receiver: website, sender: inventory } : null;

    const talktoRun = (count: number) =>
      talktoRoundTrip(settings, roundTripApps!.sender, roundTripApps!.receiver)(count);
    // With results on, the naive round trip also ends when the result is stored on its sender.
    const naiveRun = async (count: number) => {
      const done = naivePair.results?.expect(count);
      const start = performance.now();
      await pool(count, () => naivePair.sender.send(naivePair.receiveUrl, randomUUID(), PAYLOAD));
      if (done) await withDeadline(done, `${count} naive results`);
      return count / ((performance.now() - start) / 1000);
    };
    const pairRun = (pair: BaselinePair) => async (count: number) => {
      const done = pair.results.expect(count);
      const start = performance.now();
      await pool(count, () =>
        pair.send({ messageId: randomUUID(), command: 'bench.ping', payload: PAYLOAD }),
      );
      await withDeadline(done, `${count} stored results`);
      return count / ((performance.now() - start) / 1000);
    };
    const receiveRun = async (count: number) => {
      const requests = presigned(count);
      return count / (await pool(count, (i) => post(routeOnlyUrl, requests[i], 202)));
    };
    const receiveBusyRun = async (count: number) => {
      const requests = presigned(count);
      const done = roundTripApps!.receiver.app.get(CompletionCounter).expect(count);
      const receiveUrl = `${roundTripApps!.receiver.url}/api/talkto/receive`;
      const rate = count / (await pool(count, (i) => post(receiveUrl, requests[i], 202)));
      await withDeadline(done, `${count} handler runs`); // let the queued handler work finish before the next measurement
      return rate;
    };
    const bareRun = async (count: number) => {
      const requests = presigned(count);
      return count / (await pool(count, (i) => post(naivePair.bareUrl, requests[i], 200)));
    };

    // Warm-up: JIT, connection pools, prepared statements.
    const warm = Math.max(30, Math.floor(COUNT / 5));
    if (!ROUTE_ONLY) {
      await talktoRun(warm);
      await naiveRun(warm);
    }
    for (const pair of brokerPairs.values()) {
      await pairRun(pair)(warm);
    }
    if (!CALLBACKS) {
      await receiveRun(warm);
      if (!ROUTE_ONLY) await receiveBusyRun(warm);
      await bareRun(warm);
    }

    const profiledTalkto = profiled(`talkto-${setup.key}`, talktoRun);
    const profiledReceive = profiled(`receive-${setup.key}`, receiveRun);
    const result: SetupResult = {
      setup,
      talkto: series(),
      naive: series(),
      receive: series(),
      receiveBusy: series(),
      bare: series(),
      pairs: new Map([...brokerPairs.keys()].map((key) => [key, series()])),
    };
    for (let round = 0; round < ROUNDS; round++) {
      // Alternate which side goes first so drift on the shared machine hits both alike.
      const pairs: Array<[Series, (count: number) => Promise<number>]> = [
        [result.talkto, profiledTalkto],
        [result.naive, naiveRun],
        ...[...brokerPairs].map(([key, pair]): [Series, (count: number) => Promise<number>] => [
          result.pairs.get(key)!,
          pairRun(pair),
        ]),
      ];
      const receivePairs: Array<[Series, (count: number) => Promise<number>]> = ROUTE_ONLY
        ? [
            [result.receive, profiledReceive],
            [result.bare, bareRun],
          ]
        : [
            [result.receive, profiledReceive],
            [result.receiveBusy, receiveBusyRun],
            [result.bare, bareRun],
          ];
      // Pre-signed requests have no original on the sender for their callbacks to land on.
      const groups = ROUTE_ONLY ? [receivePairs] : CALLBACKS ? [pairs] : [pairs, receivePairs];
      for (const group of groups) {
        const ordered = round % 2 === 0 ? group : [...group].reverse();
        for (const [sink, run] of ordered) {
          await measure(sink, COUNT, run);
        }
      }
    }
    return result;
  } finally {
    await inventory?.close();
    await website?.close();
    await routeOnly?.close();
    await naive?.close();
    for (const pair of brokerPairs.values()) {
      await pair.close();
      prefixes.push(...pair.redisPrefixes);
    }
    await deleteRedisKeys(prefixes);
  }
}

const ratio = (a: Series, b: Series) => a.rates.map((value, i) => value / b.rates[i]);
const rate = (values: number[]) => {
  const { median, min, max } = spread(values);
  return [median.toFixed(0), `${min.toFixed(0)}–${max.toFixed(0)}`];
};
// Unknown names fail here, before the first setup has spent a minute measuring.
const unknownSetups = SETUPS.filter((key) => !ALL_SETUPS.some((setup) => setup.key === key));
if (unknownSetups.length > 0) {
  throw new Error(
    `SETUPS: unknown setup "${unknownSetups.join('", "')}" (${ALL_SETUPS.map((setup) => setup.key).join(', ')})`,
  );
}
const unknownPairs = PAIRS.filter((key) => BROKER_PAIRS[key] === undefined);
if (unknownPairs.length > 0) {
  throw new Error(
    `PAIRS: unknown pair "${unknownPairs.join('", "')}" (${Object.keys(BROKER_PAIRS).join(', ')})`,
  );
}

const cpu = formatCpu;
const HEADER = [
  'measurement',
  'median msg/s',
  'min–max msg/s',
  'CPU ms/msg: Node + database + broker',
  'Talkto ÷ this',
];

const summary: string[] = [];
let missed = false;
for (const setup of ALL_SETUPS.filter((item) => SETUPS.includes(item.key))) {
  const result = await runSetup(setup);
  console.log(
    `\n${setup.name}${setup.database === 'sqlite' ? (SQLITE_WAL ? ' (WAL)' : ' (rollback journal)') : ''}${CALLBACKS ? ', result callbacks on' : ''}: ${COUNT} messages × ${ROUNDS} rounds, ${CONCURRENCY} in flight`,
  );
  const roundTrip = ratio(result.talkto, result.naive);
  const toPairs = [...result.pairs].map(([key, measured]) => ({
    key,
    measured,
    ratio: ratio(result.talkto, measured),
  }));
  // Node CPU is this process (every app of the bench runs in it); the servers' is read from /proc.
  if (!ROUTE_ONLY) printRoundTrip(result, roundTrip, toPairs);
  const pairSummary = toPairs
    .map(({ key, ratio: toPair }) => `, ${formatRatio(toPair)} of the ${key} pair`)
    .join('');
  if (CALLBACKS) {
    summary.push(
      `${setup.key}: round trip with result callbacks ${formatRatio(roundTrip)} of naive${pairSummary}`,
    );
  } else {
    const receive = ratio(result.receive, result.bare);
    const receiveBusy = ratio(result.receiveBusy, result.bare);
    console.log('');
    printTable(HEADER, [
      ['Talkto receive route alone (pre-signed)', ...rate(result.receive.rates), cpu(result.receive), ''],
      ...(ROUTE_ONLY
        ? []
        : [
            [
              '  … with its handlers running alongside',
              ...rate(result.receiveBusy.rates),
              cpu(result.receiveBusy),
              '',
            ],
          ]),
      [
        'bare Nest POST (parse JSON, 200)',
        ...rate(result.bare.rates),
        cpu(result.bare),
        ROUTE_ONLY ? formatRatio(receive) : `${formatRatio(receive)}; alongside ${formatRatio(receiveBusy)}`,
      ],
    ]);
    missed ||= setup.target && spread(receive).median < RECEIVE_TARGET;
    summary.push(
      ROUTE_ONLY
        ? `${setup.key}: receive route ${formatRatio(receive)} of bare`
        : `${setup.key}: round trip ${formatRatio(roundTrip)} of naive, receive route ${formatRatio(receive)} of bare (${formatRatio(receiveBusy)} with handlers alongside)`,
    );
  }
  missed ||= !ROUTE_ONLY && setup.target && spread(roundTrip).median < 1 / 3;
}
console.log(
  `\nSUMMARY roundtrip (ratio = our msg/s / baseline msg/s, targets ≥ 0.33× round trip and ≥ ${RECEIVE_TARGET}× receive, ${missed ? 'MISSED' : 'met'}; issue 20 aims at ≥ 0.5× the BullMQ pair with callbacks): ${summary.join('; ')}`,
);
process.exit(0);

function printRoundTrip(
  result: SetupResult,
  roundTrip: number[],
  toPairs: Array<{ key: string; measured: Series; ratio: number[] }>,
): void {
  printTable(HEADER, [
    [
      CALLBACKS ? 'Talkto send() → result applied' : 'Talkto send() → handler done',
      ...rate(result.talkto.rates),
      cpu(result.talkto),
      '',
    ],
    [
      CALLBACKS ? 'naive HMAC + fetch + INSERT, signed result POSTed back' : 'naive HMAC + fetch + INSERT',
      ...rate(result.naive.rates),
      cpu(result.naive),
      formatRatio(roundTrip),
    ],
    ...toPairs.map(({ key, measured, ratio: toPair }) => [
      BROKER_PAIRS[key].name,
      ...rate(measured.rates),
      cpu(measured),
      formatRatio(toPair),
    ]),
  ]);
}
