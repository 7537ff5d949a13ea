import { randomUUID } from 'node:crypto';
import Bull from 'bull';
import { type ConnectionOptions, Queue } from 'bullmq';
import { BullQueueDriver } from '../../lib/queue/bull.driver.js';
import { BullMqQueueDriver } from '../../lib/queue/bullmq.driver.js';
import type { RedisQueueDriverOptions } from '../../lib/queue/interfaces/talkto-queue-options.interface.js';
import { TALKTO_REGISTERED_QUEUES } from '../../lib/queue/queue.constants.js';
import { failFastRedisOptions } from '../../lib/queue/redis-connection.util.js';
import { TALKTO_QUEUE_NAMES, type TalktoQueueLogger } from '../../lib/queue/talkto-queue.port.js';

export const REDIS = { host: '127.0.0.1', port: 6379 };

/**
 * The bound for "returns instead of hanging": far above any timeout under test, so a loaded
 * machine never trips it, and still well inside the test timeout, so a hang fails by name.
 */
export const HANG_MS = 20_000;

/** Polls until `condition` holds; fails with `description` at the deadline. */
export async function waitFor(
  condition: () => boolean | Promise<boolean>,
  description: string,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) {
      throw new Error(`Timed out after ${timeoutMs} ms waiting for: ${description}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/**
 * For negative claims ("nothing else started"): polls `condition` for a whole window and fails as
 * soon as it turns false. The window is the claim being tested, not a wait for work.
 */
export async function holdsFor(
  condition: () => boolean | Promise<boolean>,
  description: string,
  windowMs: number,
) {
  const end = Date.now() + windowMs;
  while (Date.now() < end) {
    if (!(await condition())) {
      throw new Error(`Stopped holding: ${description}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

export interface Gate {
  promise: Promise<void>;
  open(): void;
}

export function gate(): Gate {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

export class RecordingLogger implements TalktoQueueLogger {
  readonly errors: { message: string; trace?: string }[] = [];
  readonly warnings: string[] = [];

  error(message: string, trace?: string): void {
    this.errors.push({ message, trace });
  }

  warn(message: string): void {
    this.warnings.push(message);
  }
}

/** A Redis key prefix nobody else uses, so tests never see each other's jobs. */
export function uniquePrefix(): string {
  return `talkto-test-${process.pid}-${randomUUID().slice(0, 8)}`;
}

/** Runs `work` with a Redis client of the shared server, closing it afterwards. */
async function withRedis<T>(work: (client: Bull.Queue['client']) => Promise<T>): Promise<T> {
  const queue = new Bull('cleanup', { redis: REDIS });
  try {
    return await work(queue.client);
  } finally {
    await queue.close();
  }
}

async function scanKeys(client: Bull.Queue['client'], prefix: string): Promise<string[]> {
  const found: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
    cursor = next;
    found.push(...keys);
  } while (cursor !== '0');
  return found;
}

/** Deletes only the keys under `prefix` (the Redis is shared: never flush it). */
export function deleteKeysWithPrefix(prefix: string): Promise<number> {
  return withRedis(async (client) => {
    const keys = await scanKeys(client, prefix);
    return keys.length > 0 ? client.del(...keys) : 0;
  });
}

export function countKeysWithPrefix(prefix: string): Promise<number> {
  return withRedis(async (client) => (await scanKeys(client, prefix)).length);
}

/** Talkto's queues as its Nest module registers them with its own Redis, outside Nest. */
function queuesOf<Q>(build: (name: string) => Q) {
  return new Map(TALKTO_QUEUE_NAMES.map((name) => [name, build(TALKTO_REGISTERED_QUEUES[name])]));
}

export type StandaloneDriverOptions = RedisQueueDriverOptions & { prefix: string };

/** The Bull driver on queues shaped as the `bull` driver's module shapes them. */
export function createBullDriver(
  options: StandaloneDriverOptions,
  logger: TalktoQueueLogger,
): BullQueueDriver {
  const redis = failFastRedisOptions(options.redis ?? REDIS);
  return new BullQueueDriver(
    queuesOf((name) => new Bull(name, { redis, prefix: options.prefix })),
    options,
    logger,
  );
}

/** The BullMQ driver on queues shaped as the `bullmq` driver's module shapes them. */
export function createBullMqDriver(
  options: StandaloneDriverOptions,
  logger: TalktoQueueLogger,
): BullMqQueueDriver {
  const connection = failFastRedisOptions(options.redis ?? REDIS) as ConnectionOptions;
  return new BullMqQueueDriver(
    queuesOf((name) => new Queue(name, { connection, prefix: options.prefix })),
    options,
    logger,
  );
}
