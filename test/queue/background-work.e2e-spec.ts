import { afterEach, describe, expect, it } from '@jest/globals';
import { TalktoClient } from '../../lib/index.js';
import { TalktoMessageEntity } from '../../lib/persistence/entities/message.entity.js';
import { freePort } from '../support/free-port.js';
import { type RunningTalktoApp, startTalktoApp } from '../support/talkto-app.js';
import { waitFor } from '../support/wait-for.js';

const SECRET = 'background-work-secret-0123456789abcdef';

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

describe('TALKTO_BACKGROUND_WORK', () => {
  let app: RunningTalktoApp | undefined;

  afterEach(async () => {
    delete process.env.TALKTO_BACKGROUND_WORK;
    await app?.close();
    app = undefined;
  });

  it('keeps queue workers and the sweeper asleep when off, so a one-shot process only stores', async () => {
    process.env.TALKTO_BACKGROUND_WORK = 'off';
    app = await bootSender();
    const sent = await app.app.get(TalktoClient).send('peer', 'orders.ping', {});
    // Absence of work can only be shown over a window: several sweeper intervals pass here.
    await new Promise((resolve) => setTimeout(resolve, 400));
    const row = await app.dataSource
      .getRepository(TalktoMessageEntity)
      .findOneByOrFail({ messageId: sent.messageId });
    expect(row.overallStatus).toBe('waiting_to_send');
    expect(row.attempts).toBe(0);
  });

  it('runs them by default', async () => {
    app = await bootSender();
    const sent = await app.app.get(TalktoClient).send('peer', 'orders.ping', {});
    await waitFor(async () => {
      const row = await app!.dataSource
        .getRepository(TalktoMessageEntity)
        .findOneBy({ messageId: sent.messageId });
      return (row?.attempts ?? 0) > 0;
    }, 'a send attempt');
  });
});
