import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { LoopbackTalktoTransport, TalktoClient } from '../../lib/index.js';
import { TalktoTransport } from '../../lib/outgoing/talkto.transport.js';
import { TalktoMessageEntity } from '../../lib/persistence/entities/message.entity.js';
import { freezePayload } from '../../lib/protocol/json/payload-freezer.js';
import { TalktoDispatcher } from '../../lib/queue/talkto.dispatcher.js';
import { ledgersOf } from '../support/ledgers.js';
import { DATABASE_KINDS } from '../support/databases.js';
import { freePort } from '../support/free-port.js';
import { type RunningTalktoApp, startTalktoApp } from '../support/talkto-app.js';
import { waitFor } from '../support/wait-for.js';
import { createShopTables, ShopOrder } from './fixtures/order.entity.js';

const SECRET = 'outbox-secret-0123456789';

describe.each(DATABASE_KINDS)('transactional outbox on %s', (database) => {
  let shop: RunningTalktoApp;
  let client: TalktoClient;
  let loopback: LoopbackTalktoTransport;
  /** Row ids handed to the send queue so far, in order: a row leaves only once handed over. */
  const handedOver: number[] = [];

  beforeAll(async () => {
    shop = await startTalktoApp({
      database,
      queue: 'in-process',
      adapter: 'express',
      port: await freePort(),
      entities: [ShopOrder],
      talkto: {
        service: 'shop',
        transport: 'loopback',
        // The sweeper heals a crash between commit and dispatch; quick here so the test is short.
        sweeper: { intervalMs: 200, graceMs: 300 },
        outgoing: { billing: { baseUrl: 'http://billing.invalid', secret: SECRET } },
      },
    });
    const runner = shop.dataSource.createQueryRunner();
    await createShopTables(runner);
    await runner.release();
    client = shop.app.get(TalktoClient);
    loopback = shop.app.get(TalktoTransport, { strict: false }) as LoopbackTalktoTransport;
    const dispatcher = shop.app.get(TalktoDispatcher, { strict: false });
    const dispatch = dispatcher.dispatch.bind(dispatcher);
    jest.spyOn(dispatcher, 'dispatch').mockImplementation((queue, id, options) => {
      if (queue === 'send') handedOver.push(id);
      return dispatch(queue, id, options);
    });
  });

  afterAll(async () => {
    await shop?.close();
  });

  const rowOf = (messageId: string) => shop.dataSource.manager.findOneBy(TalktoMessageEntity, { messageId });

  it('sends a message written in a committed transaction once the transaction commits', async () => {
    let handedOverBeforeCommit: boolean | undefined;
    const sent = await shop.dataSource.transaction(async (manager) => {
      await manager.save(ShopOrder, { status: 'paid', secretNote: null });
      const message = await client.send('billing', 'invoice.create', { total: 10 }, { manager });
      handedOverBeforeCommit = handedOver.includes(message.id);
      return message;
    });
    expect(handedOverBeforeCommit).toBe(false);
    expect(handedOver).toContain(sent.id);
    await waitFor(
      () => loopback.sentTo('billing').some((request) => request.envelope.message_id === sent.messageId),
      'the committed message to leave',
    );
    await waitFor(
      async () => (await rowOf(sent.messageId))?.transportStatus === 'sent',
      'the send to be recorded',
    );
  });

  it('leaves neither row nor request after a rollback', async () => {
    let rolledBack: { id: number; messageId: string } | undefined;
    await expect(
      shop.dataSource.transaction(async (manager) => {
        rolledBack = await client.send('billing', 'invoice.create', { total: 1 }, { manager });
        throw new Error('business rule failed');
      }),
    ).rejects.toThrow('business rule failed');
    // The rollback has run its hooks: a job for the row would have been handed over by now.
    expect(handedOver).not.toContain(rolledBack!.id);
    expect(await rowOf(rolledBack!.messageId)).toBeNull();
    expect(loopback.sent.some((request) => request.envelope.message_id === rolledBack!.messageId)).toBe(
      false,
    );
  });

  it('joins client.transaction() without being handed the manager', async () => {
    const sent = await client.transaction(async (manager) => {
      await manager.save(ShopOrder, { status: 'new', secretNote: null });
      return client.send('billing', 'invoice.create', { total: 2 });
    });
    await waitFor(
      () => loopback.sent.some((r) => r.envelope.message_id === sent.messageId),
      'the scoped send',
    );
    let rolledBack = '';
    await expect(
      client.transaction(async () => {
        rolledBack = (await client.send('billing', 'invoice.create', { total: 3 })).messageId;
        throw new Error('no');
      }),
    ).rejects.toThrow('no');
    expect(await rowOf(rolledBack)).toBeNull();
  });

  it('flow run() stores the action and the message together, and a failed action as a failed row', async () => {
    const sent = await client
      .flow('checkout')
      .to('billing')
      .command('invoice.create')
      .businessKey('order-7')
      .run(async (manager) => {
        const order = await manager.save(ShopOrder, { status: 'checked_out', secretNote: null });
        return { payload: { order: order.id }, result: { order: order.id } };
      });
    expect((await rowOf(sent.messageId))?.sourceActionStatus).toBe('succeeded');
    await waitFor(
      () => loopback.sent.some((r) => r.envelope.message_id === sent.messageId),
      'the flow message',
    );

    const before = await shop.dataSource.manager.count(ShopOrder);
    await expect(
      client
        .flow('checkout')
        .to('billing')
        .command('invoice.create')
        .businessKey('order-failed')
        .run(async (manager) => {
          await manager.save(ShopOrder, { status: 'doomed', secretNote: null });
          throw new Error('payment declined');
        }),
    ).rejects.toThrow('payment declined');
    expect(await shop.dataSource.manager.count(ShopOrder)).toBe(before);
    const failed = await shop.dataSource.manager.findOneBy(TalktoMessageEntity, {
      businessKey: 'order-failed',
    });
    expect(failed).toMatchObject({ overallStatus: 'failed', sourceActionStatus: 'failed', payload: null });
    expect(failed?.lastError).toBe('payment declined');
  });

  it('delivers once, through the sweeper, a committed row that was never queued (a crash between commit and dispatch)', async () => {
    // Write the row exactly as send() does, but never queue it: the state a crash leaves behind.
    const ledger = ledgersOf(shop.app);
    const frozen = freezePayload({ total: 9 });
    const orphan = await shop.dataSource.transaction((manager) =>
      ledger.outbox.createOutgoing(
        {
          messageId: `orphan-${database}`,
          source: 'shop',
          target: 'billing',
          command: 'invoice.create',
          payload: frozen.json,
          payloadHash: frozen.hash,
          maxAttempts: 5,
        },
        manager,
      ),
    );
    expect(orphan.overallStatus).toBe('waiting_to_send');
    // The running app's sweeper (or a restarted one) finds the row; delivery happens once.
    await waitFor(
      async () => (await rowOf(orphan.messageId))?.transportStatus === 'sent',
      'the sweeper to deliver the orphaned row',
    );
    expect(loopback.sent.filter((r) => r.envelope.message_id === orphan.messageId)).toHaveLength(1);
  });
});
