import { afterAll, afterEach, describe, expect, it } from '@jest/globals';
import { CrashScenario, removeCompiledWorker, until } from './fixtures/worker-processes.js';
import { effectsSoFar, expectExactlyOnce, MESSAGES, settle, TEST_TIMEOUT_MS } from './fixtures/verdict.js';

/**
 * The queue loses its data (every Redis key under the app's Bull prefix deleted mid-flight) or the
 * receiver is down for a while: the sweeper and the retry policy must still deliver every message,
 * and each handler effect must exist exactly once.
 */

let scenario: CrashScenario | undefined;

afterAll(removeCompiledWorker);

afterEach(async () => {
  await scenario?.close();
  scenario = undefined;
});

describe('queue loss and peer outage with Bull', () => {
  it(
    'recovers every message through the sweeper after all its Redis keys are deleted mid-flight',
    async () => {
      const total = MESSAGES;
      scenario = await CrashScenario.create('postgres', { handlerDelayMs: 40 });
      const receiver = await scenario.start('receiver');
      await receiver.waitForLine('READY');
      const sender = await scenario.start('sender', { enqueue: total });
      await sender.waitForLine('ENQUEUED');
      let wiped = 0;
      let wipes = 0;
      for (const threshold of [Math.floor(total / 10), Math.floor(total / 2)]) {
        await until(async () => (await effectsSoFar(scenario!)) >= threshold, 30_000);
        wiped += await scenario.wipeQueues();
        wipes += 1;
      }
      // A row whose job vanished after its dispatch claim waits that claim out (60 s at least).
      const verdict = await settle(scenario, total, 100_000);
      expectExactlyOnce(verdict, total, scenario);
      console.log(
        `[resilience] redis-wipe postgres: messages=${verdict.messages} wipes=${wipes} keys_deleted=${wiped} ` +
          `delivered=${verdict.delivered} handled=${verdict.handled} duplicate_answers=${verdict.duplicateAnswers} ` +
          `lost=${verdict.lost} double_handled=${verdict.doubleHandled}`,
      );
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'retries with backoff while the receiver is down and delivers everything once it is back',
    async () => {
      const total = MESSAGES;
      scenario = await CrashScenario.create('mariadb');
      const sender = await scenario.start('sender', { enqueue: total });
      await sender.waitForLine('ENQUEUED');
      const retried = await until(async () => {
        const rows = await scenario!.outgoingRows();
        return rows.length === total && rows.every((row) => row.attempts >= 2);
      }, 20_000);
      expect(retried).toBe(true);
      const downFor = 3_000;
      await new Promise((resolve) => setTimeout(resolve, downFor));
      expect((await scenario.incomingRows()).length).toBe(0);
      const receiver = await scenario.start('receiver');
      await receiver.waitForLine('READY');
      const verdict = await settle(scenario, total);
      expectExactlyOnce(verdict, total, scenario);
      expect(verdict.resends).toBeGreaterThanOrEqual(total);
      console.log(
        `[resilience] receiver-down mariadb: messages=${verdict.messages} resends=${verdict.resends} ` +
          `delivered=${verdict.delivered} handled=${verdict.handled} lost=${verdict.lost} double_handled=${verdict.doubleHandled}`,
      );
    },
    TEST_TIMEOUT_MS,
  );
});
