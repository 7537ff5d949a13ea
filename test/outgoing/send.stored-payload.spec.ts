import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { TalktoAttemptEntity } from '../../lib/persistence/entities/attempt.entity.js';
import { TalktoDeadLetterEntity } from '../../lib/persistence/entities/dead-letter.entity.js';
import { TalktoMessageEntity } from '../../lib/persistence/entities/message.entity.js';
import { OutboxLedger } from '../../lib/persistence/outbox.ledger.js';
import { SendPipeline } from '../../lib/outgoing/send.pipeline.js';
import { freezePayload } from '../../lib/protocol/json/payload-freezer.js';
import { type ReliabilityContext, startReliabilityContext, T0 } from '../retry/reliability-context.js';
import { DATABASE_KINDS } from '../support/databases.js';

let counter = 0;

/** A peer on 127.0.0.1 that accepts every command and remembers each body it was sent. */
async function startPeer(): Promise<{ server: Server; url: string; bodies: string[] }> {
  const bodies: string[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      bodies.push(Buffer.concat(chunks).toString('utf8'));
      response.writeHead(202, { 'content-type': 'application/json' });
      response.end('{"received":true,"status":"queued"}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, bodies };
}

describe.each(DATABASE_KINDS)('sending a stored payload on %s', (kind) => {
  let context: ReliabilityContext;
  let peer: Awaited<ReturnType<typeof startPeer>>;
  let outbox: OutboxLedger;
  let pipeline: SendPipeline;

  beforeAll(async () => {
    peer = await startPeer();
    context = await startReliabilityContext(kind, {
      outgoing: { ledger: { baseUrl: peer.url, secret: 'ledger-secret' } },
    });
    outbox = context.module.get(OutboxLedger, { strict: false });
    pipeline = context.module.get(SendPipeline, { strict: false });
  });

  afterAll(async () => {
    await context?.close();
    await new Promise((resolve) => peer?.server.close(resolve));
  });

  /** A row as `send()` stores it, not queued: the test runs the send itself. */
  const stored = async (payload: Record<string, unknown>) => {
    const frozen = freezePayload(payload);
    return outbox.createOutgoing({
      messageId: `stored-payload-${process.pid}-${++counter}`,
      source: 'billing',
      target: 'ledger',
      command: 'entry.create',
      payload: frozen.json,
      payloadHash: frozen.hash,
      maxAttempts: 5,
      now: T0,
    });
  };
  const reload = (id: number) => context.dataSource.manager.findOneByOrFail(TalktoMessageEntity, { id });
  const sentTo = (messageId: string) => peer.bodies.filter((body) => body.includes(messageId));

  it('sends a payload that still matches its stored hash', async () => {
    const message = await stored({ amount: 10 });
    await pipeline.run(message.id);
    expect(await reload(message.id)).toMatchObject({ overallStatus: 'destination_received' });
    expect(sentTo(message.messageId)).toHaveLength(1);
  });

  it('fails a payload changed since it was stored as failed_final, without a request', async () => {
    const message = await stored({ amount: 10 });
    // A hand edit sets updated_at, as the reliability guide asks, so the claim reads the row again.
    await context.dataSource.manager.update(
      TalktoMessageEntity,
      { id: message.id },
      { payload: '{"amount":1000}', updatedAt: new Date(T0.getTime() + 1) },
    );

    await pipeline.run(message.id);

    expect(await reload(message.id)).toMatchObject({
      overallStatus: 'failed_final',
      transportStatus: 'failed_final',
      lastError: 'stored_payload_hash_mismatch',
      attempts: 1,
    });
    const [attempt] = await context.dataSource.manager.findBy(TalktoAttemptEntity, {
      talktoMessageId: message.id,
    });
    expect(attempt).toMatchObject({
      status: 'failed_final',
      errorMessage: 'stored_payload_hash_mismatch',
      meta: { retryable: false, review_required: true, stored_hash: message.payloadHash },
    });
    expect(
      await context.dataSource.manager.countBy(TalktoDeadLetterEntity, { talktoMessageId: message.id }),
    ).toBe(1);
    expect(sentTo(message.messageId)).toEqual([]);
  });
});
