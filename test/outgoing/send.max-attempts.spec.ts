import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ResultCallbackSender } from '../../lib/callbacks/result-callback.sender.js';
import { OutboxLedger } from '../../lib/persistence/outbox.ledger.js';
import { TalktoResult } from '../../lib/incoming/handler-result.js';
import { TalktoClient } from '../../lib/index.js';
import { TalktoMessageEntity } from '../../lib/persistence/entities/message.entity.js';
import { TalktoTransport, type TalktoTransportResponse } from '../../lib/outgoing/talkto.transport.js';
import { callbackMessageId } from '../../lib/protocol/derived-ids.util.js';
import { InProcessQueueDriver } from '../../lib/queue/in-process.driver.js';
import { TALKTO_QUEUE_DRIVER } from '../../lib/queue/queue.constants.js';
import { seedMessage } from '../operations/operations-fixtures.js';
import { type ReliabilityContext, startReliabilityContext } from '../retry/reliability-context.js';
import { DATABASE_KINDS } from '../support/databases.js';
import { freePort } from '../support/free-port.js';
import { postSigned } from '../support/signed-request.js';
import { startTalktoApp } from '../support/talkto-app.js';

/** Every peer is down: each attempt gets a retryable 503. */
class UnavailableTransport extends TalktoTransport {
  posts = 0;
  post(): Promise<TalktoTransportResponse> {
    this.posts += 1;
    return Promise.resolve({ status: 503, body: '{"message":"down for maintenance"}' });
  }
}

let counter = 0;

/**
 * BEHAVIOR §6.2 keeps a row's stored `max_attempts`; we store the budget the retry layers give for
 * (target, command) when the caller names none, so per-peer and per-command settings apply to
 * new messages.
 */
describe.each(DATABASE_KINDS)('stored max_attempts of new outgoing rows on %s', (kind) => {
  let context: ReliabilityContext;
  let client: TalktoClient;
  const transport = new UnavailableTransport();

  beforeAll(async () => {
    context = await startReliabilityContext(kind, {
      transport,
      maxAttempts: 9,
      retry: {
        maxAttempts: 4,
        backoffSeconds: [0],
        peers: { ledger: { maxAttempts: 3 }, orders: { maxAttempts: 2 } },
        commands: { 'entry.urgent': { maxAttempts: 2 } },
      },
      outgoing: {
        ledger: { baseUrl: 'http://127.0.0.1:9', secret: 'ledger-secret' },
        audit: { baseUrl: 'http://127.0.0.1:9', secret: 'audit-secret' },
        orders: { baseUrl: 'http://127.0.0.1:9', secret: 'orders-secret' },
      },
    });
    client = context.module.get(TalktoClient);
  });

  afterAll(async () => {
    await context?.close();
  });

  const drain = () => (context.module.get(TALKTO_QUEUE_DRIVER) as InProcessQueueDriver).drain();
  const reload = (messageId: string) =>
    context.dataSource.manager.findOneByOrFail(TalktoMessageEntity, { messageId });

  it('stores the command, peer or base budget, and a send option over all of them', async () => {
    const stored = async (target: string, command: string, maxAttempts?: number) => {
      const sent = await client.send(target, command, { n: ++counter }, { maxAttempts });
      return (await reload(sent.messageId)).maxAttempts;
    };

    expect(await stored('ledger', 'entry.urgent')).toBe(2);
    expect(await stored('audit', 'entry.urgent')).toBe(2);
    expect(await stored('ledger', 'entry.create')).toBe(3);
    // retry.maxAttempts is the base; the older top-level maxAttempts only fills in when it is absent.
    expect(await stored('audit', 'entry.create')).toBe(4);
    expect(await stored('ledger', 'entry.urgent', 6)).toBe(6);
    await drain();
  });

  it('gives up after the per-command number of attempts', async () => {
    const urgent = await client.send('ledger', 'entry.urgent', { n: ++counter });
    const create = await client.send('ledger', 'entry.create', { n: ++counter });
    await drain();

    expect(await reload(urgent.messageId)).toMatchObject({
      overallStatus: 'failed_final',
      attempts: 2,
      lastHttpStatus: 503,
    });
    expect(await reload(create.messageId)).toMatchObject({ overallStatus: 'failed_final', attempts: 3 });
  });

  it('gives a result callback the budget of its peer, the source of the command', async () => {
    const original = await seedMessage(context.dataSource, {
      messageId: `max-attempts-in-${process.pid}-${++counter}`,
      direction: 'incoming',
      sourceService: 'orders',
      targetService: 'billing',
      command: 'entry.create',
      overallStatus: 'succeeded',
      destinationActionStatus: 'succeeded',
    });

    const sender = context.module.get(ResultCallbackSender);
    const report = sender.callbackFor(original, TalktoResult.succeeded())!;
    await context.module.get(OutboxLedger).createOutgoing(report);
    await sender.queue(original, 'succeeded', report);
    await drain();

    const callback = await reload(callbackMessageId(original.messageId, 'succeeded'));
    expect(callback).toMatchObject({
      targetService: 'orders',
      command: 'talkto.result',
      maxAttempts: 2,
      overallStatus: 'failed_final',
      attempts: 2,
    });
  });
});

describe('stored max_attempts without retry settings', () => {
  let context: ReliabilityContext;

  beforeAll(async () => {
    context = await startReliabilityContext('sqlite', {
      transport: new UnavailableTransport(),
      maxAttempts: 7,
    });
  });

  afterAll(async () => {
    await context?.close();
  });

  it('still stores the top-level maxAttempts', async () => {
    const sent = await context.module.get(TalktoClient).send('ledger', 'entry.create', {});
    const row = await context.dataSource.manager.findOneByOrFail(TalktoMessageEntity, {
      messageId: sent.messageId,
    });
    expect(row.maxAttempts).toBe(7);
    await (context.module.get(TALKTO_QUEUE_DRIVER) as InProcessQueueDriver).drain();
  });
});

describe('stored max_attempts of received commands', () => {
  it('stays the database default 5 whatever the retry layers say (BEHAVIOR §6.2)', async () => {
    const port = await freePort();
    const app = await startTalktoApp({
      database: 'sqlite',
      queue: 'in-process',
      adapter: 'express',
      port,
      talkto: {
        service: 'billing',
        callbacks: { enabled: false },
        retry: {
          maxAttempts: 8,
          incoming: { enabled: true, maxAttempts: 7 },
          peers: { orders: { maxAttempts: 6 } },
          commands: { 'entry.create': { maxAttempts: 2 } },
        },
        incoming: {
          orders: {
            secret: 'orders-secret-0123456789',
            allowedCommands: { 'entry.create': { driver: 'none' } },
          },
        },
      },
    });
    try {
      const answer = await postSigned({
        url: `http://127.0.0.1:${port}/api/talkto/receive`,
        secret: 'orders-secret-0123456789',
        source: 'orders',
        target: 'billing',
        command: 'entry.create',
        payload: { n: 1 },
      });
      expect(answer.status).toBe(202);
      const row = await app.dataSource.manager.findOneByOrFail(TalktoMessageEntity, {
        messageId: answer.messageId,
        direction: 'incoming',
      });
      expect(row.maxAttempts).toBe(5);
    } finally {
      await app.close();
    }
  });
});
