import { beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { TalktoClient } from '../../lib/index.js';
import { TalktoEventEntity } from '../../lib/persistence/entities/event.entity.js';
import { TalktoMessageEntity } from '../../lib/persistence/entities/message.entity.js';
import { callbackMessageId } from '../../lib/protocol/derived-ids.util.js';
import { seedMessage } from '../operations/operations-fixtures.js';
import { DATABASE_KINDS, type DatabaseKind } from '../support/databases.js';
import { postSigned } from '../support/signed-request.js';
import type { HttpAdapterKind, QueueKind, RunningTalktoApp } from '../support/talkto-app.js';
import { useTalktoPair } from '../support/talkto-pair.js';
import { waitFor } from '../support/wait-for.js';
import { ORDER_PROVIDERS } from './fixtures/order-handlers.js';
import { ReserveResultLog, SkippingHandler } from './fixtures/result-hooks.js';

const COMMAND_SECRET = 'inventory-to-website-secret-0123456789';
const CALLBACK_SECRET = 'website-to-inventory-secret-9876543210';
const BILLING_SECRET = 'billing-to-inventory-secret-5555555555';

const COMBINATIONS: Array<[DatabaseKind, QueueKind, HttpAdapterKind]> = [
  ...DATABASE_KINDS.map((kind): [DatabaseKind, QueueKind, HttpAdapterKind] => [
    kind,
    'in-process',
    'express',
  ]),
  ['postgres', 'bull', 'fastify'],
  ['mariadb', 'bullmq', 'express'],
];

describe.each(COMBINATIONS)(
  'result callbacks on %s with the %s queue over %s',
  (database, queue, adapter) => {
    const apps = useTalktoPair({
      database,
      queue,
      adapter,
      commandSecret: COMMAND_SECRET,
      callbackSecret: CALLBACK_SECRET,
      allowedCommands: ['orders.reserve', 'orders.reject', 'orders.fail', 'orders.skip'],
      receiver: { providers: [...ORDER_PROVIDERS, SkippingHandler] },
      sender: {
        providers: [ReserveResultLog],
        talkto: {
          incoming: {
            billing: { secret: BILLING_SECRET, allowedCommands: { 'talkto.result': { driver: 'none' } } },
          },
        },
      },
    });
    let client: TalktoClient;
    let hooks: ReserveResultLog;
    const callbackUrl = () => `${apps.inventory.url}/api/talkto/callback`;

    const outgoingRow = (app: RunningTalktoApp, messageId: string) =>
      app.dataSource.getRepository(TalktoMessageEntity).findOneBy({ messageId, direction: 'outgoing' });
    const settled = (app: RunningTalktoApp, messageId: string, overall: string, destination: string) =>
      waitFor(async () => {
        const row = await outgoingRow(app, messageId);
        return row?.overallStatus === overall && row.destinationActionStatus === destination
          ? row
          : undefined;
      }, `${messageId} to be ${overall}/${destination}`);
    const eventsOf = (app: RunningTalktoApp, messageId: string) =>
      app.dataSource.getRepository(TalktoEventEntity).find({ where: { messageId }, order: { id: 'ASC' } });

    /** A succeeded-and-delivered command whose callback was applied: the base of the crafted cases. */
    const completedOrder = async () => {
      const sent = await client.send('website', 'orders.reserve', {
        orderId: `o-${randomUUID()}`,
        quantity: 1,
      });
      await settled(apps.inventory, sent.messageId, 'completed', 'succeeded');
      await settled(apps.website, callbackMessageId(sent.messageId, 'succeeded'), 'completed', 'applied');
      return sent;
    };
    const callbackPayload = (original: string, status: string, command = 'orders.reserve') => ({
      original_message_id: original,
      original_command: command,
      status,
      succeeded: status === 'succeeded' || status === 'skipped',
      retryable: status === 'failed_retryable',
      skipped: status === 'skipped',
      error_class: status.startsWith('failed') ? 'crafted' : null,
      error_message: status.startsWith('failed') ? 'crafted failure' : null,
      result: {},
      meta: {},
    });
    const craftCallback = (
      original: string,
      status: string,
      overrides: Partial<Parameters<typeof postSigned>[0]> = {},
    ) =>
      postSigned({
        url: callbackUrl(),
        secret: CALLBACK_SECRET,
        source: 'website',
        target: 'inventory',
        command: 'talkto.result',
        messageId: callbackMessageId(original, status),
        parentMessageId: original,
        payload: callbackPayload(original, status),
        ...overrides,
      });

    beforeAll(() => {
      client = apps.inventory.app.get(TalktoClient);
      hooks = apps.inventory.app.get(ReserveResultLog);
    });

    it('completes the original on a success callback and the callback row with the answer status', async () => {
      const sent = await client.send(
        'website',
        'orders.reserve',
        { orderId: 'o-cb-1', quantity: 2 },
        { businessKey: 'order:o-cb-1' },
      );
      const original = await settled(apps.inventory, sent.messageId, 'completed', 'succeeded');
      expect(original.completedAt).not.toBeNull();
      expect(original.lastError).toBeNull();

      const callback = await settled(
        apps.website,
        callbackMessageId(sent.messageId, 'succeeded'),
        'completed',
        'applied',
      );
      expect(callback).toMatchObject({
        command: 'talkto.result',
        parentMessageId: sent.messageId,
        correlationId: sent.correlationId,
        businessKey: 'order:o-cb-1',
        idempotencyKey: `talkto:callback:${sent.messageId}:succeeded`,
        sourceService: 'website',
        targetService: 'inventory',
        transportStatus: 'sent',
        destinationReceiveStatus: 'received',
        lastHttpStatus: 200,
      });
      expect(Object.keys(JSON.parse(callback.payload!) as object)).toEqual([
        'original_message_id',
        'original_command',
        'status',
        'succeeded',
        'retryable',
        'skipped',
        'error_class',
        'error_message',
        'result',
        'meta',
      ]);
      expect(callback.payload).toContain('"meta":[]');

      const websiteEvents = (await eventsOf(apps.website, sent.messageId)).map((event) => event.eventType);
      expect(websiteEvents).toContain('result_callback_queued');
      const inventoryEvents = (await eventsOf(apps.inventory, sent.messageId)).map(
        (event) => event.eventType,
      );
      expect(inventoryEvents).toEqual(
        expect.arrayContaining(['result_callback_received', 'result_callback_applied']),
      );

      const calls = hooks.for(sent.messageId);
      expect(calls).toHaveLength(1);
      expect(calls[0].result).toMatchObject({
        status: 'succeeded',
        succeeded: true,
        skipped: false,
        result: { reserved: true, orderId: 'o-cb-1' },
      });
      expect(calls[0].original.overallStatus).toBe('completed');
    });

    it('reports a final handler failure as failed_final with its error', async () => {
      const sent = await client.send('website', 'orders.reject', {});
      const original = await settled(apps.inventory, sent.messageId, 'failed_final', 'failed_final');
      expect(original.lastError).toBe('no stock left');
      expect(original.failedAt).not.toBeNull();
      await settled(apps.website, callbackMessageId(sent.messageId, 'failed_final'), 'completed', 'applied');
    });

    it('reports a thrown handler error as failed_retryable with a safe error message', async () => {
      const sent = await client.send('website', 'orders.fail', {});
      const original = await settled(apps.inventory, sent.messageId, 'failed_retryable', 'failed_retryable');
      expect(original.lastError).toBe('warehouse offline');
      const callback = await outgoingRow(apps.website, callbackMessageId(sent.messageId, 'failed_retryable'));
      const payload = JSON.parse(callback!.payload!) as Record<string, unknown>;
      expect(payload.meta).toEqual({
        unexpected_exception: true,
        exception_class: 'Error',
        retryable: true,
        source: 'handler_exception',
      });
    });

    it('completes the original as skipped on a skipped callback', async () => {
      const sent = await client.send('website', 'orders.skip', {});
      await settled(apps.inventory, sent.messageId, 'completed', 'skipped');
      const callback = await settled(
        apps.website,
        callbackMessageId(sent.messageId, 'skipped'),
        'completed',
        'applied',
      );
      expect(JSON.parse(callback.payload!)).toMatchObject({ succeeded: true, skipped: true, result: [] });
    });

    it('answers a repeated callback as a duplicate without running the hook again', async () => {
      const sent = await completedOrder();
      const again = await craftCallback(sent.messageId, 'succeeded');
      expect(again.status).toBe(200);
      expect(again.body).toEqual({
        accepted: true,
        status: 'duplicate',
        message_id: callbackMessageId(sent.messageId, 'succeeded'),
        original_message_id: sent.messageId,
        duplicate: true,
      });
      expect(hooks.for(sent.messageId)).toHaveLength(1);
      const events = (await eventsOf(apps.inventory, sent.messageId)).map((event) => event.eventType);
      expect(events.filter((type) => type === 'result_callback_applied')).toHaveLength(1);
      expect(events).toContain('result_callback_duplicate');
    });

    it('ignores a failure reported after success as stale and keeps the original completed', async () => {
      const sent = await completedOrder();
      const late = await craftCallback(sent.messageId, 'failed_final');
      expect(late.status).toBe(200);
      expect(late.body).toMatchObject({ accepted: true, status: 'stale_ignored', duplicate: false });
      const row = await outgoingRow(apps.inventory, sent.messageId);
      expect(row).toMatchObject({
        overallStatus: 'completed',
        destinationActionStatus: 'succeeded',
        lastError: null,
      });
      expect((await eventsOf(apps.inventory, sent.messageId)).map((event) => event.eventType)).toContain(
        'result_callback_stale_ignored',
      );
    });

    it('rejects a callback whose parent is another message with 403 and records it on the original', async () => {
      const sent = await completedOrder();
      const answer = await craftCallback(sent.messageId, 'failed_final', { parentMessageId: randomUUID() });
      expect(answer.status).toBe(403);
      expect(answer.body).toEqual({
        accepted: false,
        status: 'rejected',
        message_id: callbackMessageId(sent.messageId, 'failed_final'),
        original_message_id: sent.messageId,
        duplicate: false,
        error: 'callback_parent_message_mismatch',
      });
      expect((await eventsOf(apps.inventory, sent.messageId)).map((event) => event.eventType)).toContain(
        'result_callback_rejected',
      );
    });

    it('rejects a callback about another command with 403 and applies nothing', async () => {
      // Delivered and waiting for its result: a matching callback would complete it.
      const original = await seedMessage(apps.inventory.dataSource, {
        messageId: randomUUID(),
        sourceService: 'inventory',
        targetService: 'website',
        command: 'orders.reserve',
        overallStatus: 'destination_received',
        transportStatus: 'sent',
        destinationReceiveStatus: 'received',
        destinationActionStatus: 'queued',
      });
      const answer = await craftCallback(original.messageId, 'succeeded', {
        payload: callbackPayload(original.messageId, 'succeeded', 'orders.cancel'),
      });
      expect(answer.status).toBe(403);
      expect(answer.body).toEqual({
        accepted: false,
        status: 'rejected',
        message_id: callbackMessageId(original.messageId, 'succeeded'),
        original_message_id: original.messageId,
        duplicate: false,
        error: 'callback_original_command_mismatch',
      });
      expect(await outgoingRow(apps.inventory, original.messageId)).toMatchObject({
        overallStatus: 'destination_received',
        destinationActionStatus: 'queued',
        completedAt: null,
      });
      const events = await eventsOf(apps.inventory, original.messageId);
      expect(events.map((event) => event.eventType)).toEqual(['result_callback_rejected']);
      expect(events[0]!.meta).toMatchObject({
        error: 'callback_original_command_mismatch',
        expected_command: 'orders.reserve',
        received_command: 'orders.cancel',
      });
      expect(hooks.for(original.messageId)).toEqual([]);
    });

    it('rejects a callback from a service the original was not sent to with 403 relationship mismatch', async () => {
      const sent = await completedOrder();
      const answer = await craftCallback(sent.messageId, 'succeeded', {
        source: 'billing',
        secret: BILLING_SECRET,
      });
      expect(answer.status).toBe(403);
      expect(answer.body.error).toBe('callback_relationship_mismatch');
    });

    it('rejects a callback about a message it never sent with 404', async () => {
      const unknown = randomUUID();
      const answer = await craftCallback(unknown, 'succeeded');
      expect(answer.status).toBe(404);
      expect(answer.body).toMatchObject({
        error: 'original_message_not_found',
        original_message_id: unknown,
      });
    });

    it('rejects an unknown callback status with 422 invalid_callback_status', async () => {
      const sent = await completedOrder();
      const answer = await craftCallback(sent.messageId, 'succeeded', {
        payload: { ...callbackPayload(sent.messageId, 'succeeded'), status: 'done' },
      });
      expect(answer.status).toBe(422);
      expect(answer.body.error).toBe('invalid_callback_status');
    });

    it('rejects a callback replayed with the same nonce with 409 before any status rule', async () => {
      const sent = await completedOrder();
      const nonce = randomUUID();
      const first = await craftCallback(sent.messageId, 'succeeded', { nonce });
      expect(first.body.status).toBe('duplicate');
      const replay = await craftCallback(sent.messageId, 'succeeded', { nonce });
      expect(replay.status).toBe(409);
      expect(replay.body).toMatchObject({ accepted: false, error: 'replay_nonce_reused' });
    });
  },
);
