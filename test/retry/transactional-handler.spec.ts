import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Injectable } from '@nestjs/common';
import { TalktoHandler, type IncomingMessage } from '../../lib/index.js';
import { ProcessPipeline } from '../../lib/incoming/process.pipeline.js';
import { TalktoDeadLetterEntity } from '../../lib/persistence/entities/dead-letter.entity.js';
import { TalktoEventEntity } from '../../lib/persistence/entities/event.entity.js';
import { TalktoMessageEntity } from '../../lib/persistence/entities/message.entity.js';
import { type Ledgers, ledgersOf } from '../support/ledgers.js';
import { DATABASE_KINDS } from '../support/databases.js';
import { type ReliabilityContext, startReliabilityContext, T0 } from './reliability-context.js';

let counter = 0;
const nextId = (prefix: string) => `${prefix}-${process.pid}-${++counter}`;

async function recordEffect(message: IncomingMessage): Promise<void> {
  await message.manager!.query(`INSERT INTO host_effects (message_id) VALUES (${placeholder(message)})`, [
    message.messageId,
  ]);
}

function placeholder(message: IncomingMessage): string {
  return message.manager!.connection.options.type === 'postgres' ? '$1' : '?';
}

@Injectable()
@TalktoHandler('effect.ok', { transactional: true })
class SucceedingHandler {
  async handle(_payload: unknown, message: IncomingMessage) {
    await recordEffect(message);
    return { stored: true };
  }
}

@Injectable()
@TalktoHandler('effect.fail', { transactional: true })
class FailingHandler {
  async handle(_payload: unknown, message: IncomingMessage) {
    await recordEffect(message);
    throw new Error('inventory is locked');
  }
}

/** Writes its effect, then loses its claim before the outcome is written (another worker took over). */
@Injectable()
@TalktoHandler('effect.stolen', { transactional: true })
class StolenClaimHandler {
  async handle(_payload: unknown, message: IncomingMessage) {
    await recordEffect(message);
    await message.manager!.update(TalktoMessageEntity, { id: message.id }, { lockedBy: 'another-worker' });
    return { stored: true };
  }
}

@Injectable()
@TalktoHandler('plain.fail')
class PlainFailingHandler {
  handle(): never {
    throw new Error('downstream unavailable');
  }
}

const HANDLERS = [SucceedingHandler, FailingHandler, StolenClaimHandler, PlainFailingHandler];

describe.each(DATABASE_KINDS)('transactional handlers and incoming retries on %s', (kind) => {
  let context: ReliabilityContext;
  let ledger: Ledgers;
  let pipeline: ProcessPipeline;

  beforeAll(async () => {
    context = await startReliabilityContext(kind, { retry: { incoming: { enabled: true } } }, HANDLERS);
    await context.dataSource.query('CREATE TABLE host_effects (message_id varchar(100) NOT NULL)');
    ledger = ledgersOf(context.module);
    pipeline = context.module.get(ProcessPipeline);
  });

  afterAll(async () => {
    await context?.close();
  });

  async function receive(command: string): Promise<TalktoMessageEntity> {
    const stored = await ledger.inbox.insertIncoming({
      messageId: nextId('in'),
      source: 'orders',
      target: 'billing',
      command,
      payload: '{"sku":"A-1"}',
      payloadHash: 'c'.repeat(64),
      now: T0,
    });
    if (stored.kind !== 'stored') throw new Error('expected a new message');
    return stored.message;
  }

  const effectsOf = async (messageId: string) =>
    (await context.dataSource.query('SELECT message_id FROM host_effects')).filter(
      (row: { message_id: string }) => row.message_id === messageId,
    ).length;
  const reload = (id: number) => context.dataSource.manager.findOneByOrFail(TalktoMessageEntity, { id });
  const eventsOf = async (id: number) =>
    context.dataSource.manager.find(TalktoEventEntity, {
      where: { talktoMessageId: id },
      order: { id: 'ASC' },
    });

  it('commits the handler write and the success together, exactly once', async () => {
    const message = await receive('effect.ok');
    await pipeline.run(message.id);
    await pipeline.run(message.id);
    expect(await effectsOf(message.messageId)).toBe(1);
    expect(await reload(message.id)).toMatchObject({ overallStatus: 'succeeded', lockedBy: null });
  });

  it('rolls the handler write back when the handler fails, then records the failure', async () => {
    const message = await receive('effect.fail');
    await pipeline.run(message.id);
    expect(await effectsOf(message.messageId)).toBe(0);
    const row = await reload(message.id);
    expect(row).toMatchObject({ overallStatus: 'failed_retryable', retryCount: 1 });
    expect(row.lastError).toContain('inventory is locked');
  });

  it('leaves no effect when the outcome cannot be written because the claim was lost', async () => {
    const message = await receive('effect.stolen');
    await pipeline.run(message.id);
    expect(await effectsOf(message.messageId)).toBe(0);
    // The steal rolled back too: the row is still held by the original claim, for stale recovery.
    expect(await reload(message.id)).toMatchObject({ overallStatus: 'processing' });
  });

  it('schedules an incoming retry with the backoff, then fails finally and dead-letters when exhausted', async () => {
    const message = await receive('plain.fail');
    // Rows keep the budget they were stored with (BEHAVIOR §6.2); give this one two attempts.
    await context.dataSource.manager.update(TalktoMessageEntity, { id: message.id }, { maxAttempts: 2 });
    await pipeline.run(message.id);
    const scheduled = await reload(message.id);
    expect(scheduled).toMatchObject({ overallStatus: 'failed_retryable', retryCount: 1 });
    expect(scheduled.nextRetryAt?.toISOString()).toBe(new Date(T0.getTime() + 10_000).toISOString());
    const retryEvent = (await eventsOf(message.id)).find((event) => event.eventType === 'retry_scheduled');
    expect(retryEvent?.meta).toMatchObject({ direction: 'incoming', retry_count: 1, backoff_seconds: 10 });

    context.clock.advance(10_000);
    await pipeline.run(message.id);
    const final = await reload(message.id);
    expect(final).toMatchObject({ overallStatus: 'failed_final', nextRetryAt: null });
    expect((await eventsOf(message.id)).map((event) => event.eventType)).toContain('retry_exhausted');
    expect(
      await context.dataSource.manager.countBy(TalktoDeadLetterEntity, { talktoMessageId: message.id }),
    ).toBe(1);
    context.clock.set(T0);
  });
});
