/**
 * Pieces of a round-trip measurement shared by the round-trip and scale benches: a pool with a
 * fixed number in flight, a deadline instead of a hang, pre-signed requests, Redis key clean-up.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { freezePayload } from '../../lib/protocol/json/payload-freezer.js';
import { buildOutgoingRequest } from '../../lib/protocol/outgoing-request.builder.js';
import { formatTalktoTimestamp } from '../../lib/protocol/talkto.timestamp.js';
import { spread } from '../support/bench-stats.util.js';
import { serverCpuSince, serverCpuSnapshot } from '../support/server-cpu.util.js';

export const REDIS_URL = 'redis://127.0.0.1:6379';
export const BENCH_SECRET = 'inventory-to-website-secret-0123456789';
export const BENCH_PAYLOAD = {
  orderId: 'o-1001',
  quantity: 3,
  price: 19.99,
  note: 'Livraison après 18h — merci',
};

/** Runs `task(i)` for i in 0..count-1 with `concurrency` in flight; returns elapsed seconds. */
export async function pool(
  count: number,
  concurrency: number,
  task: (i: number) => Promise<unknown>,
): Promise<number> {
  const start = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < count) {
      await task(next++);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return (performance.now() - start) / 1000;
}

/** Fails the bench instead of hanging when messages stop arriving. */
export function withDeadline<T>(promise: Promise<T>, what: string, ms = 180_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

export async function deleteRedisKeys(prefixes: string[]): Promise<void> {
  if (prefixes.length === 0) {
    return;
  }
  const redis = new Redis(REDIS_URL);
  try {
    for (const prefix of prefixes) {
      let cursor = '0';
      do {
        const [nextCursor, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
        cursor = nextCursor;
        if (keys.length > 0) {
          await redis.del(...keys);
        }
      } while (cursor !== '0');
    }
  } finally {
    redis.disconnect();
  }
}

export interface PresignedRequest {
  body: string;
  headers: Array<[string, string]>;
}

/** Signed, unique `bench.ping` requests from inventory to website, ready to POST (fresh ids and nonces). */
export function presigned(count: number): PresignedRequest[] {
  const frozen = freezePayload(BENCH_PAYLOAD);
  return Array.from({ length: count }, () =>
    buildOutgoingRequest({
      messageId: randomUUID(),
      source: 'inventory',
      target: 'website',
      command: 'bench.ping',
      payload: frozen.value,
      payloadHash: frozen.hash,
      secret: BENCH_SECRET,
      signatureVersion: 'v2',
      timestamp: formatTalktoTimestamp(new Date()),
      nonce: randomUUID(),
    }),
  );
}

export async function post(url: string, request: PresignedRequest, expected: number): Promise<void> {
  const response = await fetch(url, { method: 'POST', headers: request.headers, body: request.body });
  await response.arrayBuffer();
  if (response.status !== expected) {
    throw new Error(`${url} answered ${response.status}`);
  }
}

/** Boots with `TALKTO_BACKGROUND_WORK=off`: queue workers and the sweeper stay asleep in that app. */
export async function withBackgroundWorkOff<T>(boot: () => Promise<T>): Promise<T> {
  const before = process.env.TALKTO_BACKGROUND_WORK;
  process.env.TALKTO_BACKGROUND_WORK = 'off';
  try {
    return await boot();
  } finally {
    if (before === undefined) delete process.env.TALKTO_BACKGROUND_WORK;
    else process.env.TALKTO_BACKGROUND_WORK = before;
  }
}

/**
 * msg/s per round, this process's CPU (all apps of the bench) per message in ms, and the database's
 * and broker's (empty where /proc is missing).
 */
export interface Series {
  rates: number[];
  cpuMs: number[];
  databaseCpuMs: number[];
  brokerCpuMs: number[];
}

export const series = (): Series => ({ rates: [], cpuMs: [], databaseCpuMs: [], brokerCpuMs: [] });

/** Runs one measurement and records its rate and the CPU per message of Node and of the servers. */
export async function measure(
  sink: Series,
  count: number,
  run: (count: number) => Promise<number>,
): Promise<void> {
  const serversBefore = serverCpuSnapshot();
  const before = process.cpuUsage();
  const rate = await run(count);
  const used = process.cpuUsage(before);
  const serversAfter = serverCpuSnapshot();
  sink.rates.push(rate);
  sink.cpuMs.push((used.user + used.system) / 1000 / count);
  if (serversBefore && serversAfter) {
    const servers = serverCpuSince(serversBefore, serversAfter);
    sink.databaseCpuMs.push(servers.database / count);
    sink.brokerCpuMs.push(servers.broker / count);
  }
}

/** `4.24 + 2.61 + 0.30 = 7.15`: median CPU ms per message of Node, the database and the broker. */
export function formatCpu(sink: Series): string {
  const node = spread(sink.cpuMs).median;
  if (sink.databaseCpuMs.length === 0) return node.toFixed(2);
  const database = spread(sink.databaseCpuMs).median;
  const broker = spread(sink.brokerCpuMs).median;
  return `${node.toFixed(2)} + ${database.toFixed(2)} + ${broker.toFixed(2)} = ${(node + database + broker).toFixed(2)}`;
}
