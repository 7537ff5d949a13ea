import { afterEach, describe, expect, it } from '@jest/globals';
import { InProcessQueueDriver } from '../../lib/queue/in-process.driver.js';
import type { TalktoQueueDriver } from '../../lib/queue/talkto-queue.port.js';
import {
  RecordingLogger,
  createBullDriver,
  createBullMqDriver,
  deleteKeysWithPrefix,
  gate,
  HANG_MS,
  holdsFor,
  uniquePrefix,
  waitFor,
  type Gate,
} from './queue-test.helpers.js';

interface DriverCase {
  create(logger: RecordingLogger, stopTimeoutMs?: number): TalktoQueueDriver;
  cleanup(): Promise<void>;
  /** What a dispatch after stop() leaves behind in this process's view of the queue. */
  depthAfterStoppedDispatch: number;
}

function inProcessCase(): DriverCase {
  return {
    create: (logger, stopTimeoutMs) => new InProcessQueueDriver({ stopTimeoutMs }, logger),
    cleanup: async () => undefined,
    // Memory dies with the process: the job is dropped and the sweeper dispatches the row again.
    depthAfterStoppedDispatch: 0,
  };
}

function redisCase(createDriver: typeof createBullDriver | typeof createBullMqDriver): DriverCase {
  const prefix = uniquePrefix();
  return {
    create: (logger, stopTimeoutMs) => createDriver({ prefix, stopTimeoutMs }, logger),
    cleanup: async () => {
      await deleteKeysWithPrefix(prefix);
    },
    // Redis outlives this worker: the job waits there for another instance.
    depthAfterStoppedDispatch: 1,
  };
}

/** Counts how often each id was handled, and lets a test hold chosen ids inside the handler. */
class RecordingHandler {
  readonly handled = new Map<number, number>();
  readonly started: number[] = [];
  readonly finishedAt = new Map<number, number>();
  running = 0;
  maxRunning = 0;
  private readonly gates = new Map<number, Gate>();
  private readonly failures = new Set<number>();

  hold(messageId: number): Gate {
    const held = gate();
    this.gates.set(messageId, held);
    return held;
  }

  failOn(messageId: number): void {
    this.failures.add(messageId);
  }

  count(messageId: number): number {
    return this.handled.get(messageId) ?? 0;
  }

  readonly handle = async (messageId: number): Promise<void> => {
    this.started.push(messageId);
    this.running += 1;
    this.maxRunning = Math.max(this.maxRunning, this.running);
    try {
      await this.gates.get(messageId)?.promise;
      if (this.failures.has(messageId)) {
        throw new Error(`handler exploded on ${messageId}`);
      }
      this.handled.set(messageId, this.count(messageId) + 1);
    } finally {
      this.finishedAt.set(messageId, Date.now());
      this.running -= 1;
    }
  };
}

describe.each([
  { driverName: 'in-process', makeCase: inProcessCase },
  { driverName: 'bull', makeCase: () => redisCase(createBullDriver) },
  { driverName: 'bullmq', makeCase: () => redisCase(createBullMqDriver) },
])('queue driver contract: $driverName', ({ makeCase }) => {
  let testCase: DriverCase;
  let driver: TalktoQueueDriver | undefined;
  let logger: RecordingLogger;
  const openGates: Gate[] = [];

  function createDriver(stopTimeoutMs?: number): TalktoQueueDriver {
    testCase = makeCase();
    logger = new RecordingLogger();
    driver = testCase.create(logger, stopTimeoutMs);
    return driver;
  }

  afterEach(async () => {
    openGates.splice(0).forEach((held) => held.open());
    await driver?.close();
    driver = undefined;
    await testCase.cleanup();
  });

  it('handles every dispatched id exactly once', async () => {
    const queue = createDriver();
    const handler = new RecordingHandler();
    queue.process('send', handler.handle, 4);
    await queue.start();

    const ids = Array.from({ length: 20 }, (_, index) => index + 1);
    for (const id of ids) {
      await queue.dispatch('send', id);
    }

    await waitFor(() => handler.handled.size === ids.length, 'all ids handled');
    await waitFor(async () => (await queue.depth('send')) === 0, 'send queue empty');
    expect(ids.map((id) => handler.count(id))).toEqual(ids.map(() => 1));
    expect(logger.errors).toEqual([]);
  });

  it('never runs more jobs of a queue at once than its concurrency', async () => {
    const queue = createDriver();
    const handler = new RecordingHandler();
    const ids = [1, 2, 3, 4, 5, 6];
    const gates = new Map(ids.map((id) => [id, handler.hold(id)]));
    openGates.push(...gates.values());
    queue.process('process', handler.handle, 2);
    await queue.start();
    for (const id of ids) {
      await queue.dispatch('process', id);
    }

    await waitFor(() => handler.running >= 2, 'two jobs running');
    await holdsFor(() => handler.running === 2, 'no third job starts while two are held', 300);
    expect(await queue.depth('process')).toBe(6);

    gates.forEach((held) => held.open());
    await waitFor(() => handler.handled.size === ids.length, 'all jobs handled');
    expect(handler.maxRunning).toBe(2);
  });

  it('runs a delayed job after its delay and not before', async () => {
    const queue = createDriver();
    const handler = new RecordingHandler();
    queue.process('send', handler.handle, 2);
    await queue.start();

    const dispatchedAt = Date.now();
    await queue.dispatch('send', 7, { delayMs: 700 });
    expect(await queue.depth('send')).toBe(1);
    await queue.dispatch('send', 8);

    await waitFor(() => handler.count(8) === 1, 'immediate job handled');
    await waitFor(() => handler.count(7) === 1, 'delayed job handled');
    expect(handler.finishedAt.get(7)! - dispatchedAt).toBeGreaterThanOrEqual(700);
  });

  it('keeps working after a handler fails and reports the failure to the logger', async () => {
    const queue = createDriver();
    const handler = new RecordingHandler();
    handler.failOn(1);
    queue.process('callback', handler.handle, 1);
    await queue.start();

    await queue.dispatch('callback', 1);
    await queue.dispatch('callback', 2);
    await queue.dispatch('callback', 3);

    await waitFor(() => handler.count(2) === 1 && handler.count(3) === 1, 'later jobs handled');
    await waitFor(() => logger.errors.length === 1, 'failure logged');
    expect(logger.errors[0].message).toContain('message 1');
    expect(logger.errors[0].message).toContain('handler exploded on 1');
    expect(logger.errors[0].trace).toContain('RecordingHandler');
  });

  it('lets a running job finish on stop and takes no new work', async () => {
    const queue = createDriver();
    const handler = new RecordingHandler();
    const held = handler.hold(1);
    openGates.push(held);
    queue.process('send', handler.handle, 1);
    await queue.start();
    await queue.dispatch('send', 1);
    await waitFor(() => handler.started.includes(1), 'job 1 running');

    let stopped = false;
    const stopping = queue.stop().then(() => (stopped = true));
    await holdsFor(() => !stopped, 'stop() waits while job 1 runs', 200);
    held.open();
    await stopping;
    expect(handler.count(1)).toBe(1);

    await queue.dispatch('send', 2);
    await holdsFor(() => !handler.started.includes(2), 'job 2 is not taken after stop', 500);
    expect(await queue.depth('send')).toBe(testCase.depthAfterStoppedDispatch);
  });

  it('gives up waiting for a stuck job after the stop timeout and says so', async () => {
    const queue = createDriver(300);
    const handler = new RecordingHandler();
    openGates.push(handler.hold(1));
    queue.process('send', handler.handle, 1);
    await queue.start();
    await queue.dispatch('send', 1);
    await waitFor(() => handler.started.includes(1), 'job 1 running');

    const before = Date.now();
    await queue.stop();
    // The warning shows stop() gave up on the job; the bound fails a stop() that waited far longer.
    expect(logger.warnings.some((line) => line.includes('still running'))).toBe(true);
    expect(Date.now() - before).toBeLessThan(HANG_MS);
  });

  it('counts waiting and delayed jobs per queue in depth()', async () => {
    const queue = createDriver();
    await queue.dispatch('send', 1);
    await queue.dispatch('send', 2);
    await queue.dispatch('send', 3);
    await queue.dispatch('callback', 4);
    await queue.dispatch('process', 5, { delayMs: 60_000 });

    expect(await queue.depth('send')).toBe(3);
    expect(await queue.depth('callback')).toBe(1);
    expect(await queue.depth('process')).toBe(1);
  });

  it('handles an id dispatched twice while waiting only once', async () => {
    const queue = createDriver();
    const handler = new RecordingHandler();
    await queue.dispatch('send', 9);
    await queue.dispatch('send', 9);
    expect(await queue.depth('send')).toBe(1);

    queue.process('send', handler.handle, 2);
    await queue.start();
    await waitFor(() => handler.count(9) === 1, 'id 9 handled');
    await waitFor(async () => (await queue.depth('send')) === 0, 'send queue empty');
    expect(handler.count(9)).toBe(1);
  });

  it('queues a new row once, without looking for its job first, and handles it once', async () => {
    const queue = createDriver();
    const handler = new RecordingHandler();
    await queue.dispatch('process', 11, { newRow: true });
    await queue.dispatch('process', 11, { newRow: true });
    expect(await queue.depth('process')).toBe(1);

    queue.process('process', handler.handle, 2);
    await queue.start();
    await waitFor(() => handler.count(11) === 1, 'id 11 handled');
    await waitFor(async () => (await queue.depth('process')) === 0, 'process queue empty');
    expect(handler.count(11)).toBe(1);
  });

  it('refuses a message id that is not a positive integer', async () => {
    const queue = createDriver();

    for (const bad of [0, -1, 1.5, Number.NaN, Number.MAX_SAFE_INTEGER + 1]) {
      await expect(queue.dispatch('send', bad)).rejects.toMatchObject({
        code: 'queue_usage',
        field: 'messageId',
      });
    }
    expect(await queue.depth('send')).toBe(0);
  });

  it('handles an id again when it is dispatched again while running or after it finished', async () => {
    const queue = createDriver();
    const handler = new RecordingHandler();
    const held = handler.hold(5);
    openGates.push(held);
    queue.process('send', handler.handle, 1);
    await queue.start();

    await queue.dispatch('send', 5);
    await waitFor(() => handler.started.includes(5), 'id 5 running');
    await queue.dispatch('send', 5);
    held.open();
    await waitFor(() => handler.count(5) === 2, 'id 5 handled a second time');

    await queue.dispatch('send', 5);
    await waitFor(() => handler.count(5) === 3, 'id 5 handled after it finished');
  });
});
