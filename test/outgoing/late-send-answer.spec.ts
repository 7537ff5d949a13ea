import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { TalktoClient } from '../../lib/index.js';
import { TalktoAttemptEntity } from '../../lib/persistence/entities/attempt.entity.js';
import { TalktoEventEntity } from '../../lib/persistence/entities/event.entity.js';
import { TalktoMessageEntity } from '../../lib/persistence/entities/message.entity.js';
import { ResultCallbackLedger } from '../../lib/persistence/result-callback.ledger.js';
import { TalktoTransport, type TalktoTransportResponse } from '../../lib/outgoing/talkto.transport.js';
import { InProcessQueueDriver } from '../../lib/queue/in-process.driver.js';
import { TALKTO_QUEUE_DRIVER } from '../../lib/queue/queue.constants.js';
import { TalktoSweeper } from '../../lib/queue/talkto.sweeper.js';
import { type ReliabilityContext, startReliabilityContext } from '../retry/reliability-context.js';
import { DATABASE_KINDS } from '../support/databases.js';
import { waitFor } from '../support/wait-for.js';

type Answer = TalktoTransportResponse | Error;

/** Past any retry's due time and any lease. */
const LATER = 7_200_000;

const ACCEPTED: TalktoTransportResponse = {
  status: 202,
  body: '{"received":true,"duplicate":false,"status":"queued","message_id":"m"}',
};

/**
 * A peer that answers each post only after the test has acted: `next` says what happens while the
 * request is in flight (e.g. the peer's result callback is applied), then the answer is returned
 * or thrown, as when PHP's sync queue sends the callback inside the receive request.
 */
class ScriptedTransport extends TalktoTransport {
  posts = 0;
  private script: Array<{ during: () => Promise<void>; answer: Answer }> = [];

  next(during: () => Promise<void>, answer: Answer): void {
    this.script.push({ during, answer });
  }

  async post(): Promise<TalktoTransportResponse> {
    this.posts += 1;
    const step = this.script.shift();
    if (!step) return { status: 503, body: '' };
    await step.during();
    if (step.answer instanceof Error) throw step.answer;
    return step.answer;
  }
}

/**
 * BEHAVIOR §3.1: a send's answer interpreted after the peer's result callback was applied is
 * recorded but ignored. Whatever the order, the attempt is closed, the row is unlocked and keeps
 * the result, and nothing sends the message again.
 */
describe.each(DATABASE_KINDS)('a send answer that arrives after the result callback on %s', (kind) => {
  let context: ReliabilityContext;
  let client: TalktoClient;
  let ledger: ResultCallbackLedger;
  const transport = new ScriptedTransport();

  beforeAll(async () => {
    context = await startReliabilityContext(kind, {
      transport,
      // Retries far off in real time: only the test's clock and sweeps bring them.
      retry: { backoffSeconds: [600] },
      workers: { leaseSeconds: 60 },
    });
    client = context.module.get(TalktoClient);
    ledger = context.module.get(ResultCallbackLedger);
  });

  afterAll(async () => {
    await context?.close();
  });

  const drain = () => (context.module.get(TALKTO_QUEUE_DRIVER) as InProcessQueueDriver).drain();
  const reload = (messageId: string) =>
    context.dataSource.manager.findOneByOrFail(TalktoMessageEntity, { messageId });
  const attempts = (messageId: string) =>
    context.dataSource.manager.find(TalktoAttemptEntity, { where: { messageId }, order: { id: 'ASC' } });
  const events = (messageId: string) =>
    context.dataSource.manager.find(TalktoEventEntity, { where: { messageId }, order: { id: 'ASC' } });
  const eventTypes = async (messageId: string) => (await events(messageId)).map((event) => event.eventType);
  /** The peer's result callback, applied to the row as it is now. */
  const callback = (messageId: string, status: string) => async () => {
    await ledger.applyCallback({
      original: await reload(messageId),
      callbackMessageId: `cb-${messageId}-${status}`,
      status,
      source: 'ledger',
      command: 'talkto.result',
      errorMessage: status === 'succeeded' ? null : 'handler gave up',
      result: {},
      meta: {},
      now: context.clock.now(),
    });
  };
  let counter = 0;
  const send = () => client.send('ledger', 'entry.create', { n: ++counter });

  it('records a 2xx that follows a success callback as ignored and closes its attempt', async () => {
    const sent = await send();
    transport.next(callback(sent.messageId, 'succeeded'), ACCEPTED);
    await drain();

    const row = await reload(sent.messageId);
    expect(row).toMatchObject({
      overallStatus: 'completed',
      destinationActionStatus: 'succeeded',
      transportStatus: 'sent',
      lastHttpStatus: 202,
      destinationReceiveStatus: 'received',
      lockedBy: null,
      lockedAt: null,
      lockedUntil: null,
    });
    expect(row.sentAt).toEqual(context.clock.now());
    expect(row.completedAt).not.toBeNull();
    const [attempt, ...more] = await attempts(sent.messageId);
    expect(more).toEqual([]);
    expect(attempt).toMatchObject({ status: 'sent', httpStatus: 202 });
    expect(attempt!.meta).toMatchObject({ response_ignored: true, current_status: 'completed' });
    const ignored = (await events(sent.messageId)).filter(
      (event) => event.eventType === 'message_send_response_ignored',
    );
    expect(ignored).toHaveLength(1);
    expect(ignored[0]).toMatchObject({ oldStatus: 'completed', newStatus: 'completed' });
    expect(ignored[0]!.meta).toMatchObject({ http_status: 202 });
    expect(await eventTypes(sent.messageId)).not.toContain('message_sent');
  });

  it('keeps a final failure reported first and still records the 2xx that follows it', async () => {
    const sent = await send();
    transport.next(callback(sent.messageId, 'failed_final'), ACCEPTED);
    await drain();

    expect(await reload(sent.messageId)).toMatchObject({
      overallStatus: 'failed_final',
      destinationActionStatus: 'failed_final',
      lastError: 'handler gave up',
      transportStatus: 'sent',
      lastHttpStatus: 202,
      lockedBy: null,
    });
    expect(await attempts(sent.messageId)).toMatchObject([{ status: 'sent', httpStatus: 202 }]);
    expect(await eventTypes(sent.messageId)).toContain('message_send_response_ignored');
  });

  it('closes the attempt of a send that times out after its result was applied, and never resends it', async () => {
    const sent = await send();
    transport.next(callback(sent.messageId, 'succeeded'), new Error('timeout of 20000ms exceeded'));
    await drain();

    const row = await reload(sent.messageId);
    expect(row).toMatchObject({
      overallStatus: 'completed',
      destinationActionStatus: 'succeeded',
      transportStatus: 'failed',
      lastError: null,
      nextRetryAt: null,
      lockedBy: null,
    });
    const [attempt] = await attempts(sent.messageId);
    expect(attempt).toMatchObject({
      status: 'failed_retryable',
      errorMessage: expect.stringContaining('timeout'),
    });
    expect(attempt!.meta).toMatchObject({ response_ignored: true });
    const types = await eventTypes(sent.messageId);
    expect(types).toContain('message_send_response_ignored');
    expect(types).not.toContain('retry_scheduled');

    const posts = transport.posts;
    context.clock.advance(LATER);
    await context.module.get(TalktoSweeper).sweep();
    await drain();
    expect(transport.posts).toBe(posts);
  });

  it('cancels the retry of a timed-out send when its callback arrives before the retry is due', async () => {
    const sent = await send();
    transport.next(() => Promise.resolve(), new Error('timeout of 20000ms exceeded'));
    await drain();
    expect(await reload(sent.messageId)).toMatchObject({ overallStatus: 'failed_retryable' });

    await callback(sent.messageId, 'succeeded')();
    const row = await reload(sent.messageId);
    expect(row).toMatchObject({ overallStatus: 'completed', nextRetryAt: null, nextAttemptAt: null });

    const posts = transport.posts;
    context.clock.advance(LATER);
    await context.module.get(TalktoSweeper).sweep();
    await drain();
    expect(transport.posts).toBe(posts);
    expect(await attempts(sent.messageId)).toMatchObject([{ status: 'failed_retryable' }]);
  });

  it("closes a retry's attempt when the earlier attempt's callback is applied while the retry is in flight", async () => {
    const sent = await send();
    transport.next(() => Promise.resolve(), { status: 503, body: '' });
    await drain();
    transport.next(callback(sent.messageId, 'succeeded'), ACCEPTED);
    context.clock.advance(LATER);
    await context.module.get(TalktoSweeper).sweep();
    await drain();

    expect(await reload(sent.messageId)).toMatchObject({
      overallStatus: 'completed',
      transportStatus: 'sent',
      lastHttpStatus: 202,
      attempts: 2,
      lockedBy: null,
    });
    expect(await attempts(sent.messageId)).toMatchObject([
      { status: 'failed_retryable', httpStatus: 503 },
      { status: 'sent', httpStatus: 202 },
    ]);
  });

  it('closes the claim of a sender that went silent after the result was applied, and never resends it', async () => {
    const sent = await send();
    let revive = () => {};
    const revived = new Promise<void>((resolve) => (revive = resolve));
    // The sender stays silent until the test revives it, long after its lease ran out.
    transport.next(() => callback(sent.messageId, 'succeeded')().then(() => revived), ACCEPTED);
    const draining = drain();
    await waitFor(async () => (await reload(sent.messageId)).overallStatus === 'completed', 'the callback');
    const posts = transport.posts;

    context.clock.advance(LATER);
    await context.module.get(TalktoSweeper).sweep();

    expect(transport.posts).toBe(posts);
    const closed = {
      overallStatus: 'completed',
      destinationActionStatus: 'succeeded',
      transportStatus: 'failed',
      lockedBy: null,
      lockedUntil: null,
    };
    expect(await reload(sent.messageId)).toMatchObject(closed);
    expect(await attempts(sent.messageId)).toMatchObject([
      { status: 'failed_retryable', errorClass: 'stale_lock' },
    ]);
    const recovered = (await events(sent.messageId)).filter(
      (event) => event.eventType === 'stale_lock_recovered',
    );
    expect(recovered).toHaveLength(1);
    expect(recovered[0]!.meta).toMatchObject({ recovery_type: 'result_already_applied' });

    // Its answer, when it finally comes, finds the claim gone and changes nothing.
    revive();
    await draining;
    expect(await reload(sent.messageId)).toMatchObject(closed);
    expect(await eventTypes(sent.messageId)).not.toContain('message_send_response_ignored');
  });
});
