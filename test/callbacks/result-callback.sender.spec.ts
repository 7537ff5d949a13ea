import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ResultCallbackSender } from '../../lib/callbacks/result-callback.sender.js';
import { TalktoResult } from '../../lib/incoming/handler-result.js';
import { TalktoMessageEntity } from '../../lib/persistence/entities/message.entity.js';
import { callbackMessageId } from '../../lib/protocol/derived-ids.util.js';
import { seedMessage } from '../operations/operations-fixtures.js';
import { type ReliabilityContext, startReliabilityContext } from '../retry/reliability-context.js';

let counter = 0;

describe('ResultCallbackSender after a handler ran', () => {
  let context: ReliabilityContext;

  beforeAll(async () => {
    context = await startReliabilityContext('sqlite', {
      outgoing: { orders: { baseUrl: 'http://127.0.0.1:9', secret: 'orders-secret' } },
    });
  });

  afterAll(async () => {
    await context?.close();
  });

  /** An incoming command whose stored row still says `processing`, as when the claim was lost. */
  const processing = () =>
    seedMessage(context.dataSource, {
      messageId: `sender-spec-${process.pid}-${++counter}`,
      direction: 'incoming',
      sourceService: 'orders',
      targetService: 'billing',
      command: 'entry.create',
      overallStatus: 'processing',
      destinationActionStatus: 'processing',
    });
  const callbackOf = (original: TalktoMessageEntity) =>
    context.dataSource
      .getRepository(TalktoMessageEntity)
      .findOneBy({ messageId: callbackMessageId(original.messageId, 'succeeded') });

  it('reports the outcome its caller recorded from the caller’s row, without reading it back', async () => {
    const original = await processing();
    await context.module.get(ResultCallbackSender).afterProcessing(original, TalktoResult.succeeded(), true);
    expect(await callbackOf(original)).toMatchObject({
      direction: 'outgoing',
      targetService: 'orders',
      parentMessageId: original.messageId,
    });
  });

  it('leaves an outcome it did not record to whoever finishes the message', async () => {
    const original = await processing();
    await context.module.get(ResultCallbackSender).afterProcessing(original, TalktoResult.succeeded(), false);
    expect(await callbackOf(original)).toBeNull();
  });
});
