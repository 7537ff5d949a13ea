import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { ResultCallbackSender } from '../../lib/callbacks/result-callback.sender.js';
import { TalktoResult } from '../../lib/incoming/handler-result.js';
import { TalktoEventEntity } from '../../lib/persistence/entities/event.entity.js';
import { OutboxLedger } from '../../lib/persistence/outbox.ledger.js';
import { callbackMessageId } from '../../lib/protocol/derived-ids.util.js';
import { TalktoDispatcher } from '../../lib/queue/talkto.dispatcher.js';
import { seedMessage } from '../operations/operations-fixtures.js';
import { type ReliabilityContext, startReliabilityContext } from '../retry/reliability-context.js';

let counter = 0;

describe('ResultCallbackSender', () => {
  let context: ReliabilityContext;
  let sender: ResultCallbackSender;

  beforeAll(async () => {
    context = await startReliabilityContext('sqlite', {
      outgoing: { orders: { baseUrl: 'http://127.0.0.1:9', secret: 'orders-secret' } },
    });
    sender = context.module.get(ResultCallbackSender);
  });

  afterAll(async () => {
    await context?.close();
  });

  const succeeded = () =>
    seedMessage(context.dataSource, {
      messageId: `sender-spec-${process.pid}-${++counter}`,
      direction: 'incoming',
      sourceService: 'orders',
      targetService: 'billing',
      command: 'entry.create',
      overallStatus: 'succeeded',
      destinationActionStatus: 'succeeded',
    });
  const queuedEvents = (messageId: string) =>
    context.dataSource
      .getRepository(TalktoEventEntity)
      .findBy({ messageId, eventType: 'result_callback_queued' });

  it('describes the callback row for the command’s source from the caller’s row', async () => {
    const original = await succeeded();
    expect(sender.callbackFor(original, TalktoResult.succeeded())).toMatchObject({
      messageId: callbackMessageId(original.messageId, 'succeeded'),
      source: 'billing',
      target: 'orders',
      command: 'talkto.result',
      parentMessageId: original.messageId,
      idempotencyKey: `talkto:callback:${original.messageId}:succeeded`,
    });
  });

  it('queues a callback row that exists and is not handled yet, and records that it did', async () => {
    const original = await succeeded();
    const callback = sender.callbackFor(original, TalktoResult.succeeded())!;
    await context.module.get(OutboxLedger).createOutgoing(callback);
    await sender.queue(original, 'succeeded', callback);
    expect(await queuedEvents(original.messageId)).toHaveLength(1);
  });

  it('queues the row the outcome’s write created without reading it, and records that it did', async () => {
    const original = await succeeded();
    const callback = sender.callbackFor(original, TalktoResult.succeeded())!;
    const row = await context.module.get(OutboxLedger).createOutgoing(callback);
    const logged = jest.spyOn(context.dataSource.logger, 'logQuery');
    try {
      await sender.queue(original, 'succeeded', callback, row.id);
      const reads = logged.mock.calls.filter(([sql]) => /^\s*SELECT\b.*talkto_messages/is.test(sql));
      expect(reads).toEqual([]);
    } finally {
      logged.mockRestore();
    }
    expect(await queuedEvents(original.messageId)).toEqual([
      expect.objectContaining({
        meta: expect.objectContaining({
          callback_message_id: callback.messageId,
          callback_message_db_id: row.id,
        }),
      }),
    ]);
  });

  it.each([
    { row: 'the row the outcome’s write created, as new (Bull looks for no job first)', created: true },
    { row: 'an earlier report’s row as one that may have a job already', created: false },
  ])('queues $row', async ({ created }) => {
    const original = await succeeded();
    const callback = sender.callbackFor(original, TalktoResult.succeeded())!;
    const row = await context.module.get(OutboxLedger).createOutgoing(callback);
    const dispatched = jest.spyOn(context.module.get(TalktoDispatcher), 'dispatch');
    try {
      await sender.queue(original, 'succeeded', callback, created ? row.id : undefined);
      expect(dispatched.mock.calls.filter(([queue]) => queue === 'callback')).toEqual([
        ['callback', row.id, { newRow: created }],
      ]);
    } finally {
      dispatched.mockRestore();
    }
  });

  it('queues nothing when the callback row does not exist', async () => {
    const original = await succeeded();
    await sender.queue(original, 'succeeded', sender.callbackFor(original, TalktoResult.succeeded())!);
    expect(await queuedEvents(original.messageId)).toHaveLength(0);
  });
});
