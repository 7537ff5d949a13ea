import { afterAll, afterEach, describe, expect, it } from '@jest/globals';
import { freePort } from '../support/free-port.js';
import { CrashScenario, removeCompiledWorker } from './fixtures/worker-processes.js';
import { expectExactlyOnce, MESSAGES, settle, TEST_TIMEOUT_MS } from './fixtures/verdict.js';

/**
 * Three worker processes, each sender and receiver at once, share the same databases and Bull
 * queues and race for the same rows (jobs, sweeps, claims): each message must be handled once.
 */

let scenario: CrashScenario | undefined;

afterAll(removeCompiledWorker);

afterEach(async () => {
  await scenario?.close();
  scenario = undefined;
});

describe('three competing worker processes on MariaDB with Bull', () => {
  it(
    'handles every message exactly once when three processes compete for the same rows',
    async () => {
      const total = MESSAGES;
      scenario = await CrashScenario.create('mariadb');
      // Each process has its own receiver port; only the first one creates messages.
      const workers = [
        await scenario.start('both', { enqueue: total }),
        await scenario.start('both', { receiverPort: await freePort() }),
        await scenario.start('both', { receiverPort: await freePort() }),
      ];
      await Promise.all(workers.map((worker) => worker.waitForLine('READY')));
      await workers[0].waitForLine('ENQUEUED');
      const verdict = await settle(scenario, total);
      expectExactlyOnce(verdict, total, scenario);
      const perProcess: Array<{ handled_by: string; runs: number | string }> =
        await scenario.receiverData.query(
          'SELECT handled_by, COUNT(*) AS runs FROM resilience_effect GROUP BY handled_by',
        );
      expect(perProcess.length).toBeGreaterThan(1);
      console.log(
        `[resilience] compete mariadb: processes=3 messages=${verdict.messages} handled=${verdict.handled} ` +
          `per_process=${perProcess.map((row) => Number(row.runs)).join('/')} duplicate_answers=${verdict.duplicateAnswers} ` +
          `lost=${verdict.lost} double_handled=${verdict.doubleHandled}`,
      );
    },
    TEST_TIMEOUT_MS,
  );
});
