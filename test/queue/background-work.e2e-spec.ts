import { afterEach, describe, expect, it } from '@jest/globals';
import { TalktoClient } from '../../lib/index.js';
import { TalktoMessageEntity } from '../../lib/persistence/entities/message.entity.js';
import { OutboxLedger } from '../../lib/persistence/outbox.ledger.js';
import { freezePayload } from '../../lib/protocol/json/payload-freezer.js';
import { TALKTO_QUEUE_DRIVER } from '../../lib/queue/queue.constants.js';
import type { TalktoQueueDriver } from '../../lib/queue/talkto-queue.port.js';
import { freePort } from '../support/free-port.js';
import { type RunningTalktoApp, startTalktoApp } from '../support/talkto-app.js';
import { waitFor } from '../support/wait-for.js';

const SECRET = 'background-work-secret-0123456789abcdef';

let counter = 0;

async function bootSender(): Promise<RunningTalktoApp> {
  return startTalktoApp({
    database: 'sqlite',
    queue: 'in-process',
    adapter: 'express',
    port: await freePort(),
    talkto: {
      service: 'cli-like',
      // Nothing listens there: a send attempt would fail and count an attempt.
      outgoing: { peer: { baseUrl: `http://127.0.0.1:${await freePort()}`, secret: SECRET } },
      sweeper: { enabled: true, intervalMs: 50, graceMs: 0 },
    },
  });
}

/** Two rows: one handed to the queue by `send()`, one stored without a job that only the sweeper finds. */
async function storeWork(app: RunningTalktoApp): Promise<{ queued: string; orphan: string }> {
  const queued = (await app.app.get(TalktoClient).send('peer', 'orders.ping', {})).messageId;
  const frozen = freezePayload({ n: ++counter });
  const orphan = await app.app.get(OutboxLedger, { strict: false }).createOutgoing({
    messageId: `orphan-${process.pid}-${counter}`,
    source: 'cli-like',
    target: 'peer',
    command: 'orders.ping',
    payload: frozen.json,
    payloadHash: frozen.hash,
    maxAttempts: 5,
  });
  return { queued, orphan: orphan.messageId };
}

const rowsOf = (app: RunningTalktoApp, work: { queued: string; orphan: string }) =>
  Promise.all(
    [work.queued, work.orphan].map((messageId) =>
      app.dataSource.getRepository(TalktoMessageEntity).findOneByOrFail({ messageId }),
    ),
  );

describe('TALKTO_BACKGROUND_WORK', () => {
  const apps: RunningTalktoApp[] = [];

  afterEach(async () => {
    delete process.env.TALKTO_BACKGROUND_WORK;
    await Promise.all(apps.splice(0).map((app) => app.close()));
  });

  it('keeps queue workers and the sweeper asleep when off, while a default process does the same work', async () => {
    process.env.TALKTO_BACKGROUND_WORK = 'off';
    const asleep = await bootSender();
    apps.push(asleep);
    delete process.env.TALKTO_BACKGROUND_WORK;
    const awake = await bootSender();
    apps.push(awake);

    const asleepWork = await storeWork(asleep);
    const awakeWork = await storeWork(awake);
    // Absence is judged against the same work done by the default process on this same machine,
    // however loaded: once its worker and its sweeper have both tried, the asleep ones would have too.
    await waitFor(
      async () => (await rowsOf(awake, awakeWork)).every((row) => row.attempts > 0),
      'the default process to attempt both rows',
    );

    for (const row of await rowsOf(asleep, asleepWork)) {
      expect(row).toMatchObject({ overallStatus: 'waiting_to_send', attempts: 0 });
    }
    // The one-shot process did hand its job to the queue; nobody took it.
    expect(await asleep.app.get<TalktoQueueDriver>(TALKTO_QUEUE_DRIVER).depth('send')).toBe(1);
  });
});
