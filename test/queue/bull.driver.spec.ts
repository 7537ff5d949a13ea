import { afterEach, describe, expect, it } from '@jest/globals';
import Bull from 'bull';
import { createServer, type Socket } from 'node:net';
import type { BullQueueDriver } from '../../lib/queue/bull.driver.js';
import { TalktoQueueUnavailableError } from '../../lib/queue/errors/queue-unavailable.error.js';
import {
  HANG_MS,
  REDIS,
  RecordingLogger,
  type StandaloneDriverOptions,
  countKeysWithPrefix,
  createBullDriver,
  deleteKeysWithPrefix,
  uniquePrefix,
  waitFor,
} from './queue-test.helpers.js';

describe('BullQueueDriver', () => {
  const drivers: BullQueueDriver[] = [];
  const prefixes: string[] = [];

  function createDriver(options: Partial<StandaloneDriverOptions> = {}) {
    const prefix = uniquePrefix();
    prefixes.push(prefix);
    const logger = new RecordingLogger();
    const driver = createBullDriver({ prefix, ...options }, logger);
    drivers.push(driver);
    return { driver, logger, prefix };
  }

  afterEach(async () => {
    await Promise.all(drivers.splice(0).map((driver) => driver.close()));
    for (const prefix of prefixes.splice(0)) {
      await deleteKeysWithPrefix(prefix);
      expect(await countKeysWithPrefix(prefix)).toBe(0);
    }
  });

  it('rejects a dispatch to an unreachable Redis within the dispatch timeout', async () => {
    const { driver } = createDriver({ redis: { host: '127.0.0.1', port: 1 }, dispatchTimeoutMs: 1500 });

    const before = Date.now();
    await expect(driver.dispatch('send', 1)).rejects.toBeInstanceOf(TalktoQueueUnavailableError);
    await expect(driver.depth('send')).rejects.toMatchObject({ code: 'queue_unavailable' });
    // Without the fail-fast options and the timeout, Bull would keep retrying for minutes.
    expect(Date.now() - before).toBeLessThan(HANG_MS);
  });

  it('rejects a dispatch when Redis accepts the connection but never answers', async () => {
    const sockets = new Set<Socket>();
    const silent = createServer((socket) => void sockets.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const address = silent.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    try {
      const { driver } = createDriver({ redis: { host: '127.0.0.1', port }, dispatchTimeoutMs: 800 });

      // The message says the dispatch timeout gave up, not a connection error.
      const before = Date.now();
      await expect(driver.dispatch('send', 1)).rejects.toThrow('within 800 ms');
      expect(Date.now() - before).toBeLessThan(HANG_MS);
      await Promise.all(drivers.splice(0).map((queue) => queue.close()));
    } finally {
      sockets.forEach((socket) => socket.destroy());
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it('rejects a dispatch to an unreachable Redis given as a URL', async () => {
    const { driver } = createDriver({ redis: 'redis://127.0.0.1:1/0', dispatchTimeoutMs: 1500 });

    const before = Date.now();
    await expect(driver.dispatch('callback', 1)).rejects.toMatchObject({ code: 'queue_unavailable' });
    expect(Date.now() - before).toBeLessThan(HANG_MS);
  });

  it('accepts a redis:// URL for a reachable Redis', async () => {
    const { driver } = createDriver({ redis: `redis://${REDIS.host}:${REDIS.port}/0` });
    const handled: number[] = [];
    driver.process('send', async (id) => void handled.push(id), 1);
    await driver.start();

    await driver.dispatch('send', 11);
    await waitFor(() => handled.includes(11), 'id 11 handled');
  });

  it('stores nothing but the message id in a single-attempt job named after the message', async () => {
    const { driver, prefix } = createDriver();
    await driver.dispatch('send', 42);

    const observer = new Bull('talkto-send', { prefix, redis: REDIS });
    try {
      const [job] = await observer.getWaiting();
      expect(job.id).toBe('message-42');
      expect(job.data).toEqual({ messageId: 42 });
      expect(job.opts.attempts).toBe(1);
    } finally {
      await observer.close();
    }
  });

  it('removes finished and failed jobs from Redis', async () => {
    const { driver, prefix } = createDriver();
    const settled: number[] = [];
    driver.process(
      'process',
      async (id) => {
        settled.push(id);
        if (id === 2) {
          throw new Error('handler failed');
        }
      },
      1,
    );
    await driver.start();
    await driver.dispatch('process', 1);
    await driver.dispatch('process', 2);
    await waitFor(
      async () => settled.length === 2 && (await driver.depth('process')) === 0,
      'both jobs settled',
    );

    const observer = new Bull('talkto-process', { prefix, redis: REDIS });
    try {
      await waitFor(
        async () => (await observer.getJobCountByTypes(['completed', 'failed'])) === 0,
        'no kept jobs',
      );
      expect(await observer.getJob('message-1')).toBeNull();
      expect(await observer.getJob('message-2')).toBeNull();
    } finally {
      await observer.close();
    }
  });

  it('keeps services with different prefixes on one Redis apart', async () => {
    const first = createDriver();
    const second = createDriver();
    const seenBySecond: number[] = [];
    const seenByFirst: number[] = [];
    first.driver.process('send', async (id) => void seenByFirst.push(id), 1);
    second.driver.process('send', async (id) => void seenBySecond.push(id), 1);
    await first.driver.start();
    await second.driver.start();

    await first.driver.dispatch('send', 3);
    await waitFor(() => seenByFirst.includes(3), 'first service handled its job');
    expect(seenBySecond).toEqual([]);
    expect(await second.driver.depth('send')).toBe(0);
  });

  it('refuses to dispatch once closed', async () => {
    const { driver } = createDriver();
    await driver.close();

    await expect(driver.dispatch('send', 1)).rejects.toBeInstanceOf(TalktoQueueUnavailableError);
  });
});
