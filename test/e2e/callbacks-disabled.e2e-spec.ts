import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { TalktoClient } from '../../lib/index.js';
import { TalktoEventEntity } from '../../lib/persistence/entities/event.entity.js';
import { TalktoMessageEntity } from '../../lib/persistence/entities/message.entity.js';
import { freePort } from '../support/free-port.js';
import { postSigned } from '../support/signed-request.js';
import { type RunningTalktoApp, startTalktoApp } from '../support/talkto-app.js';
import { waitFor } from '../support/wait-for.js';
import { ORDER_PROVIDERS } from './fixtures/order-handlers.js';

const COMMAND_SECRET = 'inventory-to-website-secret-0123456789';
const CALLBACK_SECRET = 'website-to-inventory-secret-9876543210';

describe('result callbacks switched off', () => {
  let inventory: RunningTalktoApp;
  let website: RunningTalktoApp;

  beforeAll(async () => {
    const [inventoryPort, websitePort] = [await freePort(), await freePort()];
    website = await startTalktoApp({
      database: 'sqlite',
      queue: 'in-process',
      adapter: 'express',
      port: websitePort,
      providers: ORDER_PROVIDERS,
      talkto: {
        service: 'website',
        callbacks: { enabled: false },
        incoming: { inventory: { secret: COMMAND_SECRET, allowedCommands: ['orders.reserve'] } },
        outgoing: { inventory: { baseUrl: `http://127.0.0.1:${inventoryPort}`, secret: CALLBACK_SECRET } },
      },
    });
    inventory = await startTalktoApp({
      database: 'sqlite',
      queue: 'in-process',
      adapter: 'fastify',
      port: inventoryPort,
      talkto: {
        service: 'inventory',
        callbacks: { enabled: false },
        outgoing: { website: { baseUrl: `http://127.0.0.1:${websitePort}`, secret: COMMAND_SECRET } },
        incoming: {
          website: { secret: CALLBACK_SECRET, allowedCommands: { 'talkto.result': { driver: 'none' } } },
        },
      },
    });
  });

  afterAll(async () => {
    await inventory?.close();
    await website?.close();
  });

  it('creates no callback row and records result_callback_skipped on the processed message', async () => {
    const sent = await inventory.app
      .get(TalktoClient)
      .send('website', 'orders.reserve', { orderId: 'o-off', quantity: 1 });
    const events = await waitFor(async () => {
      const found = await website.dataSource
        .getRepository(TalktoEventEntity)
        .findBy({ messageId: sent.messageId, eventType: 'result_callback_skipped' });
      return found.length > 0 ? found : undefined;
    }, 'result_callback_skipped');
    expect(events[0].meta).toMatchObject({ error: 'callbacks_disabled' });
    expect(
      await website.dataSource
        .getRepository(TalktoMessageEntity)
        .countBy({ parentMessageId: sent.messageId }),
    ).toBe(0);
  });

  it('answers callbacks with 403 callbacks_disabled before validating them', async () => {
    const answer = await postSigned({
      url: `${inventory.url}/api/talkto/callback`,
      secret: CALLBACK_SECRET,
      source: 'website',
      target: 'inventory',
      command: 'talkto.result',
      payload: { anything: randomUUID() },
    });
    expect(answer.status).toBe(403);
    expect(answer.body).toEqual({
      accepted: false,
      status: 'rejected',
      duplicate: false,
      error: 'callbacks_disabled',
    });
  });
});
