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
const WAREHOUSE_SECRET = 'inventory-to-warehouse-secret-0123456789';

describe('result callbacks switched off', () => {
  let inventory: RunningTalktoApp;
  let website: RunningTalktoApp;
  let warehouse: RunningTalktoApp;

  beforeAll(async () => {
    const [inventoryPort, websitePort, warehousePort] = [
      await freePort(),
      await freePort(),
      await freePort(),
    ];
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
    // Callbacks on, but none dispatched automatically.
    warehouse = await startTalktoApp({
      database: 'sqlite',
      queue: 'in-process',
      adapter: 'express',
      port: warehousePort,
      providers: ORDER_PROVIDERS,
      talkto: {
        service: 'warehouse',
        callbacks: { enabled: true, autoDispatch: false },
        incoming: { inventory: { secret: WAREHOUSE_SECRET, allowedCommands: ['orders.reserve'] } },
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
        outgoing: {
          website: { baseUrl: `http://127.0.0.1:${websitePort}`, secret: COMMAND_SECRET },
          warehouse: { baseUrl: `http://127.0.0.1:${warehousePort}`, secret: WAREHOUSE_SECRET },
        },
        incoming: {
          website: { secret: CALLBACK_SECRET, allowedCommands: { 'talkto.result': { driver: 'none' } } },
        },
      },
    });
  });

  afterAll(async () => {
    await inventory?.close();
    await website?.close();
    await warehouse?.close();
  });

  /** The receiver's events about a message once `last` is among them, oldest first. */
  const eventsUntil = (app: RunningTalktoApp, messageId: string, last: string) =>
    waitFor(async () => {
      const found = await app.dataSource
        .getRepository(TalktoEventEntity)
        .find({ where: { messageId }, order: { id: 'ASC' } });
      return found.some((event) => event.eventType === last) ? found : undefined;
    }, last);

  it.each([
    ['website', 'result_callback_skipped', { error: 'callbacks_disabled' }],
    [
      'warehouse',
      'result_callback_auto_dispatch_skipped',
      { reason: 'auto_dispatch_disabled', durable: true },
    ],
  ])('creates no callback row on %s and records %s after the outcome', async (target, note, meta) => {
    const receiver = target === 'website' ? website : warehouse;
    const sent = await inventory.app
      .get(TalktoClient)
      .send(target, 'orders.reserve', { orderId: `o-${target}`, quantity: 1 });
    const events = await eventsUntil(receiver, sent.messageId, note);
    expect(events.map((event) => event.eventType).slice(-2)).toEqual([
      'destination_processing_succeeded',
      note,
    ]);
    expect(events.at(-1)!.meta).toEqual({ original_message_id: sent.messageId, ...meta });
    expect(
      await receiver.dataSource
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
