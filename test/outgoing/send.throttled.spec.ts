import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { TalktoClient } from '../../lib/index.js';
import { TalktoMessageEntity } from '../../lib/persistence/entities/message.entity.js';
import { TalktoTransport, type TalktoTransportResponse } from '../../lib/outgoing/talkto.transport.js';
import { InProcessQueueDriver } from '../../lib/queue/in-process.driver.js';
import { TALKTO_QUEUE_DRIVER } from '../../lib/queue/queue.constants.js';
import { TalktoSweeper } from '../../lib/queue/talkto.sweeper.js';
import { type ReliabilityContext, startReliabilityContext } from '../retry/reliability-context.js';
import { DATABASE_KINDS } from '../support/databases.js';

/** A busy peer: the first `busyFor` requests get the pushback, the rest are accepted. */
class BusyPeer extends TalktoTransport {
  posts = 0;
  constructor(
    private readonly busyFor: number,
    private readonly pushback: TalktoTransportResponse,
  ) {
    super();
  }

  post(): Promise<TalktoTransportResponse> {
    this.posts += 1;
    return Promise.resolve(
      this.posts <= this.busyFor
        ? this.pushback
        : { status: 202, body: '{"received":true,"status":"queued","message_id":"x"}' },
    );
  }
}

describe.each(DATABASE_KINDS)('a throttled send on %s', (kind) => {
  const cases: Array<[string, TalktoTransportResponse]> = [
    ['429 with Retry-After', { status: 429, body: '{"error":"rate_limited"}', retryAfter: '2' }],
    ['503 with Retry-After', { status: 503, body: 'busy', retryAfter: '2' }],
  ];

  describe.each(cases)('answered %s', (_what, pushback) => {
    let context: ReliabilityContext;
    const peer = new BusyPeer(4, pushback);

    beforeAll(async () => {
      context = await startReliabilityContext(kind, { transport: peer, retry: { maxAttempts: 2 } });
    });

    afterAll(async () => {
      await context?.close();
    });

    it('waits as asked, more often than the message has attempts, and then delivers it', async () => {
      const sent = await context.module.get(TalktoClient).send('ledger', 'entry.create', { n: 1 });
      const queue = context.module.get(TALKTO_QUEUE_DRIVER) as InProcessQueueDriver;
      const sweeper = context.module.get(TalktoSweeper);
      const row = () =>
        context.dataSource.manager.findOneByOrFail(TalktoMessageEntity, { messageId: sent.messageId });
      await queue.drain();
      const first = await row();
      const waited = (first.nextRetryAt!.getTime() - context.clock.now().getTime()) / 1000;
      expect({
        status: first.overallStatus,
        retryCount: first.retryCount,
        maxAttempts: first.maxAttempts,
      }).toEqual({
        status: 'failed_retryable',
        retryCount: 1,
        maxAttempts: 3,
      });
      expect(waited).toBeGreaterThanOrEqual(2);
      expect(waited).toBeLessThanOrEqual(4);
      // Each round: the retry falls due (past the sweeper's grace), the sweeper hands it over.
      for (let round = 0; round < 8 && (await row()).overallStatus === 'failed_retryable'; round++) {
        context.clock.advance(60_000);
        await sweeper.sweep();
        await queue.drain();
      }
      expect(await row()).toMatchObject({
        overallStatus: 'destination_received',
        retryCount: 4,
        maxAttempts: 6,
        lastHttpStatus: 202,
      });
      expect(peer.posts).toBe(5);
    });
  });
});
