import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Injectable } from '@nestjs/common';
import { LoopbackTalktoTransport, OnEntityEvent, type TalktoEntityEvent } from '../../lib/index.js';
import { TalktoTransport } from '../../lib/outgoing/talkto.transport.js';
import { TalktoEntityEventDeliveryEntity } from '../../lib/persistence/entities/entity-event-delivery.entity.js';
import { TalktoEntityEventEntity } from '../../lib/persistence/entities/entity-event.entity.js';
import { DATABASE_KINDS } from '../support/databases.js';
import { freePort } from '../support/free-port.js';
import { type RunningTalktoApp, startTalktoApp } from '../support/talkto-app.js';
import { waitFor } from '../support/wait-for.js';
import { createShopTables, ShopOrder } from './fixtures/order.entity.js';

@Injectable()
class OrderAudit {
  readonly seen: TalktoEntityEvent[] = [];

  @OnEntityEvent(ShopOrder, ['insert', 'update', 'remove'])
  async record(event: TalktoEntityEvent): Promise<void> {
    this.seen.push(event);
  }

  @OnEntityEvent(ShopOrder, 'insert')
  async alwaysFails(): Promise<void> {
    throw new Error('mail server down');
  }
}

describe.each(DATABASE_KINDS)('entity events on %s', (database) => {
  let shop: RunningTalktoApp;
  let audit: OrderAudit;
  let loopback: LoopbackTalktoTransport;

  beforeAll(async () => {
    shop = await startTalktoApp({
      database,
      queue: 'in-process',
      adapter: 'express',
      port: await freePort(),
      entities: [ShopOrder],
      providers: [OrderAudit],
      talkto: {
        service: 'shop',
        transport: 'loopback',
        outgoing: { website: { baseUrl: 'http://website.invalid', secret: 'entity-events-secret-0123' } },
        entityEvents: [
          { entity: ShopOrder, forward: { target: 'website', command: { insert: 'orders.created' } } },
        ],
        entityEventDelivery: { maxAttempts: 1, recoveryIntervalSeconds: 1 },
      },
    });
    const runner = shop.dataSource.createQueryRunner();
    await createShopTables(runner);
    await runner.release();
    audit = shop.app.get(OrderAudit);
    loopback = shop.app.get(TalktoTransport, { strict: false }) as LoopbackTalktoTransport;
  });

  afterAll(async () => {
    await shop?.close();
  });

  it('delivers insert, update and remove of one row in commit order, redacted, locally and remotely', async () => {
    const repo = shop.dataSource.getRepository(ShopOrder);
    const order = await repo.save({ status: 'new', secretNote: 'card 4111' });
    order.status = 'paid';
    await repo.save(order);
    const id = order.id;
    await repo.remove(order);
    const mine = () => audit.seen.filter((event) => event.key.id === id);
    await waitFor(() => mine().length === 3, 'three events for the order');
    expect(mine().map((event) => event.operation)).toEqual(['insert', 'update', 'remove']);
    expect(mine()[0]!.data).toMatchObject({ id, status: 'new', secretNote: '[redacted]' });
    expect(mine()[1]!.changedColumns).toEqual(['status']);
    await waitFor(
      () =>
        loopback
          .sentTo('website')
          .some((r) => (r.envelope.payload as { key?: { id?: number } }).key?.id === id),
      'the forwarded orders.created command',
    );
    const created = loopback
      .sentTo('website')
      .filter((r) => (r.envelope.payload as { key?: { id?: number } }).key?.id === id);
    expect(created.map((r) => r.envelope.command)).toEqual(['orders.created']);
  });

  it('raises nothing for a rolled back change', async () => {
    const before = await shop.dataSource.manager.count(TalktoEntityEventEntity);
    await expect(
      shop.dataSource.transaction(async (manager) => {
        await manager.save(ShopOrder, { status: 'ghost', secretNote: null });
        throw new Error('rollback');
      }),
    ).rejects.toThrow('rollback');
    expect(await shop.dataSource.manager.count(TalktoEntityEventEntity)).toBe(before);
    expect(audit.seen.some((event) => event.data?.status === 'ghost')).toBe(false);
  });

  it('dead-letters a failing handler without holding back the other handlers', async () => {
    const order = await shop.dataSource
      .getRepository(ShopOrder)
      .save({ status: 'fragile', secretNote: null });
    await waitFor(() => audit.seen.some((event) => event.key.id === order.id), 'the audit handler');
    const event = await waitFor(
      () =>
        shop.dataSource.manager
          .findOneBy(TalktoEntityEventEntity, {
            entityKey: JSON.stringify({ id: order.id }),
            operation: 'insert',
            status: 'failed',
          })
          .then((row) => row ?? undefined),
      'the event to finish as failed',
    );
    const deliveries = await shop.dataSource.manager.findBy(TalktoEntityEventDeliveryEntity, {
      entityEventId: event.id,
    });
    const byHandler = Object.fromEntries(deliveries.map((row) => [row.handler, row.status]));
    expect(byHandler).toEqual({
      'OrderAudit.record': 'succeeded',
      'OrderAudit.alwaysFails': 'dead_lettered',
      'forward:website:orders.created': 'succeeded',
    });
  });
});
