import { beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { TalktoClient } from '../../lib/index.js';
import { TalktoDeadLetterEntity } from '../../lib/persistence/entities/dead-letter.entity.js';
import { TalktoMessageEntity } from '../../lib/persistence/entities/message.entity.js';
import { TalktoNonceEntity } from '../../lib/persistence/entities/nonce.entity.js';
import type { DatabaseKind } from '../support/databases.js';
import { postSigned } from '../support/signed-request.js';
import type { HttpAdapterKind, QueueKind } from '../support/talkto-app.js';
import { useTalktoPair } from '../support/talkto-pair.js';
import { waitFor } from '../support/wait-for.js';
import { HandledLog, ORDER_PROVIDERS, ReserveOrderDto } from './fixtures/order-handlers.js';

const SECRET = 'inventory-to-website-secret-0123456789';

const COMBINATIONS: Array<[DatabaseKind, QueueKind, HttpAdapterKind]> = [
  ['sqlite', 'in-process', 'express'],
  ['sqlite', 'in-process', 'fastify'],
  ['postgres', 'in-process', 'express'],
  ['postgres', 'bull', 'fastify'],
  ['mariadb', 'in-process', 'fastify'],
  ['mariadb', 'bull', 'express'],
  ['postgres', 'bullmq', 'express'],
  ['mariadb', 'bullmq', 'fastify'],
];

describe.each(COMBINATIONS)('round trip on %s with the %s queue over %s', (database, queue, adapter) => {
  const apps = useTalktoPair({
    database,
    queue,
    adapter,
    commandSecret: SECRET,
    allowedCommands: {
      'orders.reserve': {},
      'orders.fail': {},
      'orders.reject': {},
      'orders.keyed': { idempotency: 'required', driver: 'none' },
    },
    callbacks: 'none',
    receiver: { providers: ORDER_PROVIDERS, talkto: { security: { acceptVersions: ['v2', 'v1'] } } },
  });
  let client: TalktoClient;
  let log: HandledLog;
  const receiveUrl = () => `${apps.website.url}/api/talkto/receive`;

  const incoming = (messageId: string) =>
    apps.website.dataSource
      .getRepository(TalktoMessageEntity)
      .findOneBy({ messageId, direction: 'incoming' });
  const outgoing = (messageId: string) =>
    apps.inventory.dataSource
      .getRepository(TalktoMessageEntity)
      .findOneBy({ messageId, direction: 'outgoing' });
  const incomingWithStatus = (messageId: string, status: string) =>
    waitFor(async () => {
      const row = await incoming(messageId);
      return row?.overallStatus === status ? row : undefined;
    }, `incoming ${messageId} to be ${status}`);
  const craft = (overrides: Partial<Parameters<typeof postSigned>[0]> = {}) =>
    postSigned({
      url: receiveUrl(),
      secret: SECRET,
      source: 'inventory',
      target: 'website',
      command: 'orders.reserve',
      payload: { orderId: 'o-crafted', quantity: 1 },
      ...overrides,
    });

  beforeAll(() => {
    client = apps.inventory.app.get(TalktoClient);
    log = apps.website.app.get(HandledLog);
  });

  it('delivers a command, runs its handler once with a validated DTO and records success on both sides', async () => {
    const sent = await client.send(
      'website',
      'orders.reserve',
      { orderId: 'o-1', quantity: 2 },
      { businessKey: 'order:o-1' },
    );
    const received = await incomingWithStatus(sent.messageId, 'succeeded');
    expect(received.payloadHash).toBe(sent.payloadHash);
    expect(received.businessKey).toBe('order:o-1');
    const delivered = await waitFor(async () => {
      const row = await outgoing(sent.messageId);
      return row?.overallStatus === 'destination_received' ? row : undefined;
    }, 'outgoing row to be destination_received');
    expect(delivered.transportStatus).toBe('sent');
    expect(delivered.lastHttpStatus).toBe(202);
    const runs = log.entries.filter((entry) => entry.messageId === sent.messageId);
    expect(runs).toHaveLength(1);
    expect(runs[0].payload).toMatchObject({ orderId: 'o-1', quantity: 2 });
    expect(runs[0].payload).toBeInstanceOf(ReserveOrderDto);
  });

  it('records a throwing handler as a retryable failure with its error', async () => {
    const sent = await client.send('website', 'orders.fail', { orderId: 'o-2' });
    const row = await incomingWithStatus(sent.messageId, 'failed_retryable');
    expect(row.lastError).toContain('warehouse offline');
    expect(row.nextRetryAt).toBeNull();
  });

  it('ends a final failure in failed_final with a dead letter', async () => {
    const sent = await client.send('website', 'orders.reject', {});
    const row = await incomingWithStatus(sent.messageId, 'failed_final');
    expect(row.lastError).toBe('no stock left');
    const deadLetter = await apps.website.dataSource
      .getRepository(TalktoDeadLetterEntity)
      .findOneBy({ messageId: sent.messageId });
    expect(deadLetter?.status).toBe('open');
  });

  it('fails a payload that breaks the DTO rules, naming every bad field, without running the handler', async () => {
    const before = log.count('orders.reserve');
    const sent = await client.send('website', 'orders.reserve', { orderId: '', quantity: 0 });
    const row = await incomingWithStatus(sent.messageId, 'failed_final');
    expect(row.lastError).toContain('orderId');
    expect(row.lastError).toContain('quantity');
    expect(log.count('orders.reserve')).toBe(before);
  });

  it('answers a repeated message_id as already_received and handles it once', async () => {
    const messageId = randomUUID();
    const first = await craft({ messageId });
    expect(first.status).toBe(202);
    expect(first.body).toEqual({ received: true, status: 'queued', message_id: messageId });
    await incomingWithStatus(messageId, 'succeeded');
    const second = await craft({ messageId });
    expect(second.status).toBe(200);
    expect(second.body).toEqual({
      received: true,
      duplicate: true,
      status: 'already_received',
      message_id: messageId,
    });
    expect(log.entries.filter((entry) => entry.messageId === messageId)).toHaveLength(1);
  });

  it('rejects a reused nonce on a new message with 409 replay_nonce_reused and stores nothing', async () => {
    const nonce = randomUUID();
    expect((await craft({ nonce })).status).toBe(202);
    const replay = await craft({ nonce });
    expect(replay.status).toBe(409);
    expect(replay.body).toEqual({ received: false, status: 'rejected', error: 'replay_nonce_reused' });
    expect(await incoming(replay.messageId)).toBeNull();
  });

  it('answers a reused idempotency key as already_processed with the original message id', async () => {
    const key = `key-${randomUUID()}`;
    const first = await craft({ command: 'orders.keyed', idempotencyKey: key });
    expect(first.status).toBe(202);
    await incomingWithStatus(first.messageId, 'succeeded');
    const again = await craft({ command: 'orders.keyed', idempotencyKey: key });
    expect(again.status).toBe(200);
    expect(again.body).toEqual({
      received: true,
      duplicate: true,
      status: 'already_processed',
      message_id: first.messageId,
    });
  });

  it('answers a reused idempotency key of a retryable failure as already_accepted', async () => {
    const key = `key-${randomUUID()}`;
    const first = await craft({ command: 'orders.fail', idempotencyKey: key });
    await incomingWithStatus(first.messageId, 'failed_retryable');
    const again = await craft({ command: 'orders.fail', idempotencyKey: key });
    expect(again.body).toMatchObject({
      duplicate: true,
      status: 'already_accepted',
      message_id: first.messageId,
    });
  });

  it('rejects a required idempotency key that is missing with 422', async () => {
    const answer = await craft({ command: 'orders.keyed' });
    expect(answer.status).toBe(422);
    expect(answer.body).toEqual({ received: false, status: 'rejected', error: 'missing_idempotency_key' });
  });

  it('rejects a wrong secret with 401 invalid_signature, storing neither message nor nonce', async () => {
    const nonces = await apps.website.dataSource.getRepository(TalktoNonceEntity).count();
    const answer = await craft({ secret: 'not-the-shared-secret-at-all-000000' });
    expect(answer.status).toBe(401);
    expect(answer.body).toEqual({ received: false, status: 'rejected', error: 'invalid_signature' });
    expect(await incoming(answer.messageId)).toBeNull();
    expect(await apps.website.dataSource.getRepository(TalktoNonceEntity).count()).toBe(nonces);
    expect(JSON.stringify(answer.body)).not.toContain(SECRET);
  });

  it('rejects a command that is not allowed with 403 command_not_allowed', async () => {
    const answer = await craft({ command: 'orders.unknown' });
    expect(answer.status).toBe(403);
    expect(answer.body).toEqual({ received: false, status: 'rejected', error: 'command_not_allowed' });
  });

  it('accepts a v1-signed request from a peer when v1 is accepted', async () => {
    const answer = await craft({ signatureVersion: 'v1', payload: { orderId: 'o-v1', quantity: 1 } });
    expect(answer.status).toBe(202);
    await incomingWithStatus(answer.messageId, 'succeeded');
  });

  it('answers malformed JSON with 422 invalid_json despite the host body parser', async () => {
    const response = await fetch(receiveUrl(), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"message_id":',
    });
    expect(response.status).toBe(422);
    expect(await response.json()).toEqual({ received: false, status: 'rejected', error: 'invalid_json' });
  });
});
