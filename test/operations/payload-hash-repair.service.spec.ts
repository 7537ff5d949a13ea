import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { PayloadHashRepairService } from '../../lib/index.js';
import { TalktoEventEntity } from '../../lib/persistence/entities/event.entity.js';
import { TalktoMessageEntity } from '../../lib/persistence/entities/message.entity.js';
import { decodeTalktoJson } from '../../lib/protocol/json/json-reader.js';
import { payloadHash } from '../../lib/protocol/payload-hash.js';
import { TalktoDispatcher } from '../../lib/queue/talkto.dispatcher.js';
import { type ReliabilityContext, startReliabilityContext } from '../retry/reliability-context.js';
import { DATABASE_KINDS } from '../support/databases.js';
import { seedAttempt, seedDeadLetter, seedEvent, seedMessage } from './operations-fixtures.js';

const PAYLOAD = '{"order_id":7,"amount":12.5}';
const STALE_HASH = 'f'.repeat(64);
const EVIDENCE = 'Talkto rejected the message: payload_hash_mismatch';
let counter = 0;
const nextId = () => `repair-${process.pid}-${++counter}`;

describe.each(DATABASE_KINDS)('PayloadHashRepairService on %s (BEHAVIOR §17)', (kind) => {
  let context: ReliabilityContext;
  let repair: PayloadHashRepairService;
  let dispatched: jest.SpiedFunction<TalktoDispatcher['dispatch']>;
  const freshHash = payloadHash(decodeTalktoJson(PAYLOAD));

  beforeAll(async () => {
    context = await startReliabilityContext(kind);
    repair = context.module.get(PayloadHashRepairService);
    dispatched = jest.spyOn(context.module.get(TalktoDispatcher), 'dispatch');
  });

  afterAll(async () => {
    await context?.close();
  });

  /** A stopped outgoing message whose stored hash no longer matches its payload. */
  const stale = (row: Partial<TalktoMessageEntity> = {}) =>
    seedMessage(context.dataSource, {
      messageId: nextId(),
      sourceService: 'billing',
      targetService: 'ledger',
      overallStatus: 'failed_final',
      transportStatus: 'failed_final',
      payload: PAYLOAD,
      payloadHash: STALE_HASH,
      idempotencyFingerprint: `fp-${++counter}`,
      lastError: EVIDENCE,
      ...row,
    });
  const reload = (id: number) => context.dataSource.manager.findOneByOrFail(TalktoMessageEntity, { id });
  const repairEvents = (id: number) =>
    context.dataSource.manager.findBy(TalktoEventEntity, {
      talktoMessageId: id,
      eventType: 'payload_hash_repaired',
    });

  it('is a dry run by default: reports both hashes and changes nothing', async () => {
    const message = await stale();

    const result = await repair.repair(message.messageId);

    expect(result).toMatchObject({
      status: 'dry_run',
      ok: true,
      direction: 'outgoing',
      overallStatus: 'failed_final',
      storedPayloadHash: STALE_HASH,
      deterministicPayloadHash: freshHash,
    });
    expect((await reload(message.id)).payloadHash).toBe(STALE_HASH);
    expect(await repairEvents(message.id)).toHaveLength(0);
  });

  it('requires a reason with confirm', async () => {
    const message = await stale();

    for (const reason of [undefined, '', '   ']) {
      expect(await repair.repair(message.messageId, { confirm: true, reason })).toMatchObject({
        status: 'reason_required',
        ok: false,
      });
    }
    expect((await reload(message.id)).payloadHash).toBe(STALE_HASH);
  });

  it('updates only payload_hash, records the event and never dispatches', async () => {
    const message = await stale({ overallStatus: 'dead_lettered' });
    const before = await reload(message.id);
    dispatched.mockClear();
    context.clock.advance(60_000);

    const result = await repair.repair(message.messageId, { confirm: true, reason: ' float drift ' });

    expect(result).toMatchObject({ status: 'repaired', ok: true, deterministicPayloadHash: freshHash });
    const after = await reload(message.id);
    expect(after.payloadHash).toBe(freshHash);
    expect(after.updatedAt).toEqual(context.clock.now());
    const { payloadHash: _old, updatedAt: _oldTime, ...unchangedBefore } = before;
    const { payloadHash: _new, updatedAt: _newTime, ...unchangedAfter } = after;
    expect(unchangedAfter).toEqual(unchangedBefore);
    const [event, ...others] = await repairEvents(message.id);
    expect(others).toHaveLength(0);
    expect(event).toMatchObject({
      oldStatus: 'dead_lettered',
      newStatus: 'dead_lettered',
      serviceName: 'billing',
    });
    expect(event!.meta).toEqual({
      reason: 'float drift',
      old_payload_hash: STALE_HASH,
      new_payload_hash: freshHash,
      idempotency_fingerprint_changed: false,
    });
    expect(dispatched).not.toHaveBeenCalled();

    expect(await repair.repair(message.messageId, { confirm: true, reason: 'again' })).toMatchObject({
      status: 'no_repair_needed',
      ok: true,
    });
  });

  it('refuses rows that are not stopped outgoing messages', async () => {
    const retryable = await stale({ overallStatus: 'failed_retryable' });
    const waiting = await stale({ overallStatus: 'waiting_to_send' });
    const incoming = await stale({
      direction: 'incoming',
      sourceService: 'orders',
      targetService: 'billing',
    });
    const confirm = { confirm: true, reason: 'fix' };

    expect(await repair.repair(retryable.messageId, confirm)).toMatchObject({
      status: 'not_repairable_state',
      ok: false,
    });
    expect(await repair.repair(waiting.messageId, confirm)).toMatchObject({
      status: 'not_repairable_state',
      ok: false,
    });
    expect(await repair.repair(incoming.messageId, confirm)).toMatchObject({
      status: 'not_outgoing',
      ok: false,
    });
    expect(await repair.repair('no-such-message', confirm)).toMatchObject({ status: 'not_found', ok: false });
    for (const row of [retryable, waiting, incoming]) {
      expect((await reload(row.id)).payloadHash).toBe(STALE_HASH);
    }
  });

  it('refuses a mismatch without evidence of a hash failure', async () => {
    const message = await stale({ lastError: 'HTTP 500 from ledger', lastResponse: '{"ok":false}' });

    expect(await repair.repair(message.messageId, { confirm: true, reason: 'fix' })).toMatchObject({
      status: 'no_evidence',
      ok: false,
    });
    expect((await reload(message.id)).payloadHash).toBe(STALE_HASH);
  });

  it('finds the evidence in an attempt, an event, the last response or the dead letter', async () => {
    const quiet = { lastError: null, lastResponse: null };
    const inAttempt = await stale(quiet);
    await seedAttempt(context.dataSource, inAttempt, { status: 'failed', errorMessage: EVIDENCE });
    const inEvent = await stale(quiet);
    await seedEvent(context.dataSource, inEvent, {
      eventType: 'message_send_failed',
      meta: { error: EVIDENCE },
    });
    const inResponse = await stale({ ...quiet, lastResponse: '{"error":{"code":"payload_hash_mismatch"}}' });
    const inDeadLetter = await stale(quiet);
    await seedDeadLetter(context.dataSource, inDeadLetter, { failureReason: 'stored_payload_hash_mismatch' });

    for (const message of [inAttempt, inEvent, inResponse, inDeadLetter]) {
      expect((await repair.repair(message.messageId)).status).toBe('dry_run');
    }
  });

  it('reports an unencodable stored payload without detail', async () => {
    const message = await stale({ payload: '{"amount":1e400}' });

    const result = await repair.repair(message.messageId, { confirm: true, reason: 'fix' });

    expect(result).toMatchObject({ status: 'unencodable', ok: false });
    expect(result.deterministicPayloadHash).toBeUndefined();
  });
});
