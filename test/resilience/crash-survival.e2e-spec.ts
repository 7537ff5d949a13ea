import { afterAll, afterEach, describe, it } from '@jest/globals';
import type { DatabaseKind } from '../support/databases.js';
import { CrashScenario, removeCompiledWorker, until } from './fixtures/worker-processes.js';
import { effectsSoFar, expectExactlyOnce, MESSAGES, settle, TEST_TIMEOUT_MS } from './fixtures/verdict.js';

/**
 * Real sender and receiver processes on a real database and Redis (Bull or BullMQ), SIGKILLed mid-flight and
 * restarted: every message must be delivered and every handler effect (a row in the receiver's own
 * table, written in the handler's transaction) must exist exactly once.
 */

let scenario: CrashScenario | undefined;

afterAll(removeCompiledWorker);

afterEach(async () => {
  await scenario?.close();
  scenario = undefined;
});

const CASES: Array<[DatabaseKind, 'bull' | 'bullmq']> = [
  ['postgres', 'bull'],
  ['mariadb', 'bull'],
  ['postgres', 'bullmq'],
  ['mariadb', 'bullmq'],
];

describe.each(CASES)('crash survival on %s with %s', (database, queueDriver) => {
  it(
    'delivers and handles every message exactly once when sender and receiver are SIGKILLed mid-flight',
    async () => {
      const total = MESSAGES;
      scenario = await CrashScenario.create(database, { queueDriver });
      let receiver = await scenario.start('receiver');
      await receiver.waitForLine('READY');
      let sender = await scenario.start('sender', { enqueue: total });
      await sender.waitForLine('ENQUEUED');
      let kills = 0;
      for (const threshold of [Math.floor(total / 4), Math.floor((total * 2) / 3)]) {
        await until(async () => (await effectsSoFar(scenario!)) >= threshold, 30_000);
        // The first round takes both down at once, the second only the receiver, mid-transaction.
        await Promise.all(kills === 0 ? [sender.kill(), receiver.kill()] : [receiver.kill()]);
        if (kills === 0) {
          kills += 2;
          sender = await scenario.start('sender');
        } else {
          kills += 1;
        }
        receiver = await scenario.start('receiver');
      }
      // A row whose queued job died with the sender waits out its dispatch claim (60 s at least).
      const verdict = await settle(scenario, total, 100_000);
      expectExactlyOnce(verdict, total, scenario);
      console.log(
        `[resilience] crash-kill ${database}/${queueDriver}: messages=${verdict.messages} kills=${kills} delivered=${verdict.delivered} ` +
          `handled=${verdict.handled} duplicate_answers=${verdict.duplicateAnswers} resends=${verdict.resends} ` +
          `lost=${verdict.lost} double_handled=${verdict.doubleHandled}`,
      );
    },
    TEST_TIMEOUT_MS,
  );
});
