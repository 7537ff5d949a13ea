import { describe, expect, it } from '@jest/globals';
import { Injectable } from '@nestjs/common';
import { type IncomingMessage, TalktoClient, TalktoHandler } from '../../lib/index.js';
import { TalktoMessageEntity } from '../../lib/persistence/entities/message.entity.js';
import { useTalktoPair } from '../support/talkto-pair.js';
import { waitFor } from '../support/wait-for.js';

const COMMAND_SECRET = 'inventory-to-website-secret-0123456789';
const CALLBACK_SECRET = 'website-to-inventory-secret-9876543210';
const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const TRACEPARENT = `00-${TRACE_ID}-00f067aa0ba902b7-01`;

@Injectable()
class SeenTraces {
  readonly values: Array<string | null | undefined> = [];
}

@Injectable()
@TalktoHandler('orders.track')
class TrackHandler {
  constructor(private readonly seen: SeenTraces) {}

  handle(_payload: unknown, message: IncomingMessage) {
    this.seen.values.push(message.traceparent);
    return { tracked: true };
  }
}

describe('traceparent round trip: command, handler, result callback', () => {
  const apps = useTalktoPair({
    commandSecret: COMMAND_SECRET,
    callbackSecret: CALLBACK_SECRET,
    allowedCommands: ['orders.track'],
    receiver: { adapter: 'fastify', providers: [SeenTraces, TrackHandler] },
    sender: { database: 'sqlite' },
  });

  it('carries the sender trace to the handler, both rows and the result callback', async () => {
    const sent = await apps.inventory.app
      .get(TalktoClient)
      .send('website', 'orders.track', { orderId: 'o-9' }, { traceparent: TRACEPARENT });
    const outgoing = apps.inventory.dataSource.getRepository(TalktoMessageEntity);
    const received = apps.website.dataSource.getRepository(TalktoMessageEntity);
    expect((await outgoing.findOneByOrFail({ messageId: sent.messageId })).traceparent).toBe(TRACEPARENT);

    // The callback is applied to the sender's row once it is delivered.
    await waitFor(
      async () =>
        (await outgoing.findOneByOrFail({ messageId: sent.messageId })).overallStatus === 'completed',
      'the result callback applied on the sender',
    );
    expect(apps.website.app.get(SeenTraces).values).toEqual([TRACEPARENT]);
    const incoming = await received.findOneByOrFail({ messageId: sent.messageId, direction: 'incoming' });
    expect(incoming.traceparent).toBe(TRACEPARENT);
    const callback = await received.findOneByOrFail({
      parentMessageId: sent.messageId,
      direction: 'outgoing',
    });
    expect(callback.command).toBe('talkto.result');
    expect(callback.traceparent?.split('-')[1]).toBe(TRACE_ID);
  });

  it('stores no trace and hands none to the handler when none is sent', async () => {
    const sent = await apps.inventory.app
      .get(TalktoClient)
      .send('website', 'orders.track', { orderId: 'o-10' });
    const received = apps.website.dataSource.getRepository(TalktoMessageEntity);
    const incoming = await waitFor(
      async () =>
        (await received.findOneBy({
          messageId: sent.messageId,
          direction: 'incoming',
          overallStatus: 'succeeded',
        })) ?? undefined,
      'the untraced command handled',
    );
    expect(incoming.traceparent).toBeNull();
    expect(apps.website.app.get(SeenTraces).values.at(-1) ?? null).toBeNull();
  });
});
