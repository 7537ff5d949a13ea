import { randomInt } from 'node:crypto';
import { afterAll, afterEach, describe, expect, it } from '@jest/globals';
import { TalktoEventEntity } from '../../lib/persistence/entities/event.entity.js';
import type { DatabaseKind } from '../support/databases.js';
import { freePort } from '../support/free-port.js';
import {
  CrashScenario,
  removeCompiledWorker,
  until,
  type WorkerProcess,
} from './fixtures/worker-processes.js';

/**
 * A handler's outcome and the result callback that reports it: real sender and receiver processes
 * with callbacks on, the receiver SIGKILLed exactly as it writes a callback row, or its database
 * sessions terminated under it. Every sender row must end `completed` with the result applied, and
 * every handler effect must exist once.
 */

const MESSAGES = Number(process.env.TALKTO_RESILIENCE_CALLBACK_MESSAGES ?? 120);
const KILLS = 5;
const TERMINATIONS = 12;
/**
 * Bounds only, generous for a loaded machine: a worker's boot (or its enqueueing), and a wait
 * with nothing applied (longer than a stale claim's lease, a sweep and a callback's retry).
 */
const BOOT_MS = 120_000;
const STALL_MS = 60_000;
const TIMEOUT_MS = 900_000;

let scenario: CrashScenario | undefined;

afterAll(removeCompiledWorker);

afterEach(async () => {
  await scenario?.close();
  scenario = undefined;
});

interface CallbackVerdict {
  completed: number;
  applied: number;
  effectsMissing: number;
  effectsDoubled: number;
  statuses: string;
}

async function callbackVerdict(current: CrashScenario): Promise<CallbackVerdict> {
  const [outgoing, incoming, effects, applied] = await Promise.all([
    current.outgoingRows(),
    current.incomingRows(),
    current.effects(),
    current.senderData.getRepository(TalktoEventEntity).findBy({ eventType: 'result_callback_applied' }),
  ]);
  const recorded = new Set(
    applied
      .filter((event) => (event.meta?.result as { recorded?: boolean } | undefined)?.recorded === true)
      .map((event) => event.messageId),
  );
  const tally = new Map<string, number>();
  for (const row of [...outgoing, ...incoming]) {
    const key = `${row.direction} ${row.overallStatus}/${row.destinationActionStatus}`;
    tally.set(key, (tally.get(key) ?? 0) + 1);
  }
  return {
    completed: outgoing.filter(
      (row) => row.overallStatus === 'completed' && row.destinationActionStatus === 'succeeded',
    ).length,
    applied: outgoing.filter((row) => recorded.has(row.messageId)).length,
    effectsMissing: outgoing.filter((row) => !effects.has(row.messageId)).length,
    effectsDoubled: [...effects.values()].filter((runs) => runs > 1).length,
    statuses: [...tally].map(([key, count]) => `${key}:${count}`).join(','),
  };
}

/**
 * Waits until every sender row is completed with its result applied, or until neither has moved
 * for `STALL_MS` (a lost callback never arrives), then judges. The verdict's reads are separate
 * statements, so one sample may show a callback's event without the row change it committed with:
 * both counts are waited for.
 */
async function expectEveryResultApplied(current: CrashScenario, total: number): Promise<CallbackVerdict> {
  const healthy = (verdict: CallbackVerdict) => verdict.applied === total && verdict.completed === total;
  let verdict = await callbackVerdict(current);
  let progressAt = Date.now();
  while (!healthy(verdict) && Date.now() - progressAt < STALL_MS) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    const now = await callbackVerdict(current);
    if (
      now.applied > verdict.applied ||
      now.completed > verdict.completed ||
      now.effectsMissing < verdict.effectsMissing
    ) {
      progressAt = Date.now();
    }
    verdict = now;
  }
  expect({
    ...verdict,
    logs: healthy(verdict)
      ? []
      : [
          verdict.statuses,
          ...(await unfinishedHistories(current)),
          ...current.workers.map((worker) => worker.output.join('').slice(-4_000)),
        ],
  }).toMatchObject({ completed: total, applied: total, effectsMissing: 0, effectsDoubled: 0, logs: [] });
  return verdict;
}

/** The sender's history of each row not completed: what a failure needs to be understood. */
async function unfinishedHistories(current: CrashScenario): Promise<string[]> {
  const unfinished = (await current.outgoingRows()).filter((row) => row.overallStatus !== 'completed');
  const events = current.senderData.getRepository(TalktoEventEntity);
  return Promise.all(
    unfinished.slice(0, 3).map(async (row) => {
      const history = await events.find({ where: { talktoMessageId: row.id }, order: { id: 'ASC' } });
      const lines = history.map(
        (event) =>
          `${event.createdAt?.toISOString()} ${event.eventType} ${event.oldStatus}->${event.newStatus} ${JSON.stringify(event.meta)}`,
      );
      return `${row.messageId} ${row.overallStatus}/${row.destinationActionStatus} transport=${row.transportStatus}\n${lines.join('\n')}`;
    }),
  );
}

async function startCallbackPair(database: DatabaseKind, receiver: { killAtCallbackWrite?: number }) {
  scenario = await CrashScenario.create(database, {
    callbacks: { senderPort: await freePort() },
    // The sweeper alone recovers a dead worker's rows; Bull would first wait out its stalled jobs.
    queueDriver: 'in-process',
  });
  const first = await scenario.start('receiver', receiver);
  await first.waitForLine('READY', BOOT_MS);
  const sender = await scenario.start('sender', { enqueue: MESSAGES });
  await sender.waitForLine('ENQUEUED', BOOT_MS);
  return { scenario, first };
}

describe.each<DatabaseKind>(['postgres', 'mariadb', 'sqlite'])('result callbacks on %s', (database) => {
  it(
    'reaches the sender for every outcome when the receiver is SIGKILLed as it writes a result callback',
    async () => {
      const started = await startCallbackPair(database, { killAtCallbackWrite: randomInt(1, 15) });
      let receiver: WorkerProcess = started.first;
      let kills = 0;
      const boots: number[] = [];
      while (kills < KILLS) {
        const booting = Date.now();
        await receiver.waitForLine('READY', BOOT_MS);
        boots.push(Date.now() - booting);
        const died = await until(async () => !receiver.running, BOOT_MS);
        expect({
          died,
          signal: receiver.child.signalCode,
          output: died
            ? ''
            : `${(await callbackVerdict(started.scenario)).statuses} ${receiver.output.join('')}`,
        }).toEqual({
          died: true,
          signal: 'SIGKILL',
          output: '',
        });
        kills += 1;
        const again = kills < KILLS ? { killAtCallbackWrite: randomInt(1, 15) } : {};
        receiver = await started.scenario.start('receiver', again);
      }
      await receiver.waitForLine('READY', BOOT_MS);
      const verdict = await expectEveryResultApplied(started.scenario, MESSAGES);
      console.log(
        `[resilience] callback-kill ${database}: messages=${MESSAGES} kills=${kills} boot_ms=${boots.join(',')} ${verdict.statuses}`,
      );
    },
    TIMEOUT_MS,
  );
});

describe.each<DatabaseKind>(['postgres', 'mariadb'])('result callbacks on %s', (database) => {
  it(
    'reaches the sender for every outcome when the receiver’s database sessions are terminated mid-flight',
    async () => {
      const { scenario: current, first: receiver } = await startCallbackPair(database, {});
      // The test's own sessions on the receiver database would be cut as well: closed meanwhile.
      await current.receiverData.destroy();
      let terminated = 0;
      for (let round = 0; round < TERMINATIONS; round++) {
        await until(
          async () =>
            (await current.outgoingRows()).filter((row) => row.overallStatus === 'completed').length >=
            (MESSAGES * (round + 1)) / (TERMINATIONS + 2),
          30_000,
        );
        terminated += await terminateReceiverSessions(current, database);
      }
      await current.receiverData.initialize();
      if (!receiver.running) {
        // What is judged is the results; a receiver that did not survive the cut is shown and replaced.
        console.log(`[resilience] receiver exited after the cut:\n${receiver.output.join('').slice(-2_000)}`);
        await (await current.start('receiver', {})).waitForLine('READY', BOOT_MS);
      }
      const verdict = await expectEveryResultApplied(current, MESSAGES);
      console.log(
        `[resilience] callback-terminate ${database}: messages=${MESSAGES} sessions_terminated=${terminated} ${verdict.statuses}`,
      );
    },
    TIMEOUT_MS,
  );
});

/** Ends every session of the receiver's workers, from a session on the sender's database. */
async function terminateReceiverSessions(current: CrashScenario, database: DatabaseKind): Promise<number> {
  const receiverDatabase = current.receiverDatabaseName;
  if (database === 'postgres') {
    const rows: unknown[] = await current.senderData.query(
      'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
      [receiverDatabase],
    );
    return rows.length;
  }
  const sessions: Array<{ ID: number | string }> = await current.senderData.query(
    'SELECT ID FROM information_schema.PROCESSLIST WHERE DB = ? AND ID <> CONNECTION_ID()',
    [receiverDatabase],
  );
  for (const session of sessions) {
    await current.senderData.query(`KILL ${Number(session.ID)}`).catch(() => undefined);
  }
  return sessions.length;
}
