/**
 * The round trip at scale: two Talkto pairs (PostgreSQL + Bull, sweepers running), one on empty
 * tables and one whose sender and receiver databases both hold `rows` messages with their attempts,
 * events and dead letters (`seedMessages`), measured in alternating order round by round.
 */
import { randomBytes } from 'node:crypto';
import { DataSource, type DataSourceOptions } from 'typeorm';
import { TALKTO_ENTITIES, TALKTO_MIGRATIONS } from '../../lib/index.js';
import { TALKTO_DATA_SOURCE } from '../../lib/talkto.constants.js';
import type { TestDatabase } from '../../test/support/databases.js';
import { freePort } from '../../test/support/free-port.js';
import { REDIS_URL, withBackgroundWorkOff } from '../roundtrip/roundtrip-run.util.js';
import { startBenchTalktoApp, type BenchTalktoApp } from '../roundtrip/talkto-app.bench.js';
import {
  RECEIVER_PROVIDERS,
  receiverOptions,
  startBenchSender,
  talktoRoundTrip,
  type PairSettings,
} from '../roundtrip/talkto-pair.js';
import {
  CapturingLogger,
  type LabelledPlan,
  planCalls,
  sweeperQueries,
} from '../support/query-plans.util.js';
import { seedMessages } from '../support/seed-messages.js';
import { createScaleDatabase } from './scale-database.util.js';

/** Four events a message, about what a live round trip writes (the bench prints the live figure). */
export const SEEDED_EVENTS = [
  'message_created',
  'message_sending_started',
  'message_sent',
  'destination_processing_started',
] as const;

export interface PairDatabases {
  sender: TestDatabase;
  receiver: TestDatabase;
}

async function withDataSource<T>(
  database: TestDatabase,
  work: (source: DataSource) => Promise<T>,
): Promise<T> {
  const source = new DataSource({
    ...database.options,
    entities: TALKTO_ENTITIES,
    migrations: TALKTO_MIGRATIONS,
  } as DataSourceOptions);
  await source.initialize();
  try {
    return await work(source);
  } finally {
    await source.destroy();
  }
}

export async function createPairDatabases(role: string): Promise<PairDatabases> {
  return {
    sender: await createScaleDatabase(`${role}_sender`),
    receiver: await createScaleDatabase(`${role}_receiver`),
  };
}

/**
 * Migrates both databases and fills each with `rows` messages of its own service, both at once
 * (one server connection each). Retries are all in the future: a live install's sweeper keeps up,
 * and a backlog of due retries would be work of its own during the measurement.
 */
export async function fillPair(pair: PairDatabases, rows: number): Promise<void> {
  await Promise.all(
    (
      [
        [pair.sender, 'inventory'],
        [pair.receiver, 'website'],
      ] as const
    ).map(([database, service]) =>
      withDataSource(database, async (source) => {
        await source.runMigrations({ transaction: 'each' });
        await seedMessages(source, {
          count: rows,
          historyRows: rows,
          service,
          events: SEEDED_EVENTS,
          dueRetries: false,
        });
      }),
    ),
  );
}

export async function migratePair(pair: PairDatabases): Promise<void> {
  for (const database of [pair.sender, pair.receiver]) {
    await withDataSource(database, (source) => source.runMigrations({ transaction: 'each' }));
  }
}

/** Rows per table, e.g. `{ talkto_messages: 1000000, … }`. */
export function tableRows(database: TestDatabase): Promise<Record<string, number>> {
  return withDataSource(database, async (source) => {
    const counts: Record<string, number> = {};
    for (const table of ['talkto_messages', 'talkto_attempts', 'talkto_events', 'talkto_dead_letters']) {
      const [row] = (await source.query(`SELECT count(*)::int AS n FROM ${table}`)) as Array<{ n: number }>;
      counts[table] = row.n;
    }
    return counts;
  });
}

export interface RunningPair {
  measure: (count: number) => Promise<number>;
  close(): Promise<void>;
}

/** Boots a Talkto pair on the given databases (Bull on Redis under `prefixes`' new entries). */
export async function startPair(
  settings: PairSettings,
  databases: PairDatabases,
  prefixes: string[],
): Promise<RunningPair> {
  const queue = () => {
    const prefix = `scale-${randomBytes(4).toString('hex')}`;
    prefixes.push(prefix);
    return { driver: 'bull' as const, redis: REDIS_URL, prefix };
  };
  const [senderPort, receiverPort] = [await freePort(), await freePort()];
  const apps: BenchTalktoApp[] = [];
  try {
    const receiver = await startBenchTalktoApp(
      databases.receiver,
      receiverPort,
      receiverOptions(settings, queue(), `http://127.0.0.1:${senderPort}`),
      RECEIVER_PROVIDERS,
    );
    apps.push(receiver);
    const sender = await startBenchSender(settings, databases.sender, senderPort, queue(), receiver.url);
    apps.push(sender);
    return {
      measure: talktoRoundTrip(settings, sender, receiver),
      close: async () => {
        for (const app of apps.reverse()) await app.close();
      },
    };
  } catch (error) {
    for (const app of apps.reverse()) await app.close();
    throw error;
  }
}

/** The sweeper's reads on a database, under EXPLAIN ANALYZE, from an app with background work off. */
export async function sweeperPlans(database: TestDatabase, service: string): Promise<LabelledPlan[]> {
  const logger = new CapturingLogger();
  const port = await freePort();
  const app = await withBackgroundWorkOff(() =>
    startBenchTalktoApp(database, port, { service, queue: { driver: 'in-process' } }, [], logger),
  );
  try {
    const get = <T>(type: new (...args: never[]) => T): T => app.app.get(type, { strict: false });
    const source = app.app.get<DataSource>(TALKTO_DATA_SOURCE);
    return await planCalls(source, 'postgres', logger, sweeperQueries(get, new Date(), service));
  } finally {
    await app.close();
  }
}
