import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { ResultCallbackSender } from '../../lib/callbacks/result-callback.sender.js';
import { TalktoResult } from '../../lib/incoming/handler-result.js';
import { TalktoEventEntity } from '../../lib/persistence/entities/event.entity.js';
import { TalktoMessageEntity } from '../../lib/persistence/entities/message.entity.js';
import { TALKTO_QUEUE_DRIVER } from '../../lib/queue/queue.constants.js';
import { TalktoWorkers } from '../../lib/queue/talkto.workers.js';
import type { TalktoQueueDriver } from '../../lib/queue/talkto-queue.port.js';
import { OutboxLedger } from '../../lib/persistence/outbox.ledger.js';
import { MessageLog } from '../../lib/persistence/message.log.js';
import { callbackMessageId } from '../../lib/protocol/derived-ids.util.js';
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

  const callbackRow = (original: TalktoMessageEntity) =>
    context.dataSource.getRepository(TalktoMessageEntity).findOneByOrFail({
      messageId: callbackMessageId(original.messageId, 'succeeded'),
      direction: 'outgoing',
    });

  it('sends a callback row that exists and is not handled yet within the call, and records that it did', async () => {
    const original = await succeeded();
    const callback = sender.callbackFor(original, TalktoResult.succeeded())!;
    await context.module.get(OutboxLedger).createOutgoing(callback);
    await sender.deliver(original, 'succeeded', callback, null);
    expect(await queuedEvents(original.messageId)).toHaveLength(1);
    // Port 9 refuses the connection: tried once, its retry scheduled on the callback queue.
    expect(await callbackRow(original)).toMatchObject({ attempts: 1, overallStatus: 'failed_retryable' });
    const queue = context.module.get<TalktoQueueDriver>(TALKTO_QUEUE_DRIVER);
    expect({ callback: await queue.depth('callback'), send: await queue.depth('send') }).toEqual({
      callback: 1,
      send: 0,
    });
  });

  it('sends nothing when the callback row does not exist', async () => {
    const original = await succeeded();
    await sender.deliver(
      original,
      'succeeded',
      sender.callbackFor(original, TalktoResult.succeeded())!,
      null,
    );
    expect(await queuedEvents(original.messageId)).toHaveLength(0);
  });

  it('sends the row the outcome’s write created by its id: no read, no second queued event', async () => {
    const original = await succeeded();
    const callback = sender.callbackFor(original, TalktoResult.succeeded())!;
    const created = await context.module.get(OutboxLedger).createOutgoing(callback);
    const read = jest.spyOn(context.module.get(MessageLog), 'findOutgoingByMessageId');
    try {
      await sender.deliver(original, 'succeeded', callback, created.id);
      expect(read).not.toHaveBeenCalled();
    } finally {
      read.mockRestore();
    }
    expect(await queuedEvents(original.messageId)).toHaveLength(0);
    expect(await callbackRow(original)).toMatchObject({ attempts: 1, overallStatus: 'failed_retryable' });
  });

  it('describes the queued event the outcome’s write records with the row it creates', async () => {
    const original = await succeeded();
    const callback = sender.callbackFor(original, TalktoResult.succeeded())!;
    expect(sender.queuedNote(original, 'succeeded', callback)).toEqual({
      talktoMessageId: original.id,
      messageId: original.messageId,
      serviceName: 'billing',
      eventType: 'result_callback_queued',
      meta: {
        original_message_id: original.messageId,
        callback_message_id: callback.messageId,
        target: 'orders',
        command: 'talkto.result',
        callback_status: 'succeeded',
        durable: true,
      },
    });
  });

  it('leaves the callback to the queue once the workers are stopping', async () => {
    const original = await succeeded();
    const callback = sender.callbackFor(original, TalktoResult.succeeded())!;
    await context.module.get(OutboxLedger).createOutgoing(callback);
    // The stopped in-process queue drops the job: the row waits, unsent, for the sweeper.
    await context.module.get(TalktoWorkers).beforeApplicationShutdown();
    await sender.deliver(original, 'succeeded', callback, null);
    expect(await queuedEvents(original.messageId)).toHaveLength(1);
    expect(await callbackRow(original)).toMatchObject({ attempts: 0, overallStatus: 'waiting_to_send' });
  });
});
