import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { TalktoUsageError } from '../../lib/errors/talkto-usage.error.js';
import { TalktoRedactor } from '../../lib/operations/talkto.redactor.js';
import { TraceService } from '../../lib/operations/trace.service.js';
import { openMigratedDatabase, type MigratedDatabase } from '../persistence/migrated-database.js';
import { minutesAgo, seedAttempt, seedDeadLetter, seedEvent, seedMessage } from './operations-fixtures.js';

describe.each(['sqlite', 'postgres'] as const)('TraceService on %s', (kind) => {
  let database: MigratedDatabase;
  let service: TraceService;

  beforeAll(async () => {
    database = await openMigratedDatabase(kind);
    const ds = database.dataSource;
    const order = await seedMessage(ds, {
      messageId: 'order-1',
      correlationId: 'corr-1',
      overallStatus: 'failed_final',
      createdAt: minutesAgo(30),
      sentAt: minutesAgo(29),
      failedAt: minutesAgo(28),
      lastError: 'peer said token=abc123',
    });
    await seedAttempt(ds, order, {
      status: 'failed_final',
      httpStatus: 422,
      createdAt: minutesAgo(29),
      meta: { signature: 'deadbeef', http: 422 },
    });
    await seedEvent(ds, order, { eventType: 'message_created', createdAt: minutesAgo(30) });
    await seedEvent(ds, order, {
      eventType: 'dead_lettered',
      createdAt: minutesAgo(28),
      meta: { password: 'hunter2', retry_count: 0 },
    });
    await seedDeadLetter(ds, order, { createdAt: minutesAgo(28), headers: { Authorization: 'Bearer x' } });
    await seedMessage(ds, {
      messageId: 'cb-1',
      direction: 'incoming',
      parentMessageId: 'order-1',
      correlationId: 'corr-1',
      command: 'talkto.result',
      overallStatus: 'succeeded',
      createdAt: minutesAgo(27),
    });
    await seedMessage(ds, {
      messageId: 'order-2',
      correlationId: 'corr-1',
      createdAt: minutesAgo(25),
    });
    await seedMessage(ds, { messageId: 'unrelated', correlationId: 'corr-2', createdAt: minutesAgo(20) });
    service = new TraceService(ds, new TalktoRedactor());
  });

  afterAll(async () => {
    await database.close();
  });

  it('traces a message with its callbacks, correlation group, attempts, events and dead letter', async () => {
    const trace = await service.trace({ messageId: 'order-1' });
    expect(trace.found).toBe(true);
    expect(trace.anchor?.messageId).toBe('order-1');
    expect(trace.correlationId).toBe('corr-1');
    expect(trace.messages.map((row) => row.messageId)).toEqual(['order-1', 'cb-1', 'order-2']);
    expect(trace.callbacks.map((row) => row.messageId)).toEqual(['cb-1']);
    expect(trace.attempts).toHaveLength(1);
    expect(trace.events.map((row) => row.eventType)).toEqual(['message_created', 'dead_lettered']);
    expect(trace.deadLetters).toHaveLength(1);
    expect(trace.truncated).toBe(false);
    expect(trace.timeline.slice(0, 4).map((entry) => entry.label)).toEqual([
      'created',
      'message_created',
      'sent',
      'attempt #1 transport failed_final',
    ]);
  });

  it('hides payloads by default and redacts values, meta, errors and headers', async () => {
    const hidden = await service.trace({ messageId: 'order-1' });
    expect(hidden.anchor?.payload).toEqual({ redacted: true, keys: ['order_id', 'card'] });
    expect(hidden.anchor?.lastError).toBe('peer said token=[redacted]');
    expect(hidden.attempts[0].meta).toEqual({ signature: '[redacted]', http: 422 });
    expect(hidden.events[1].meta).toEqual({ password: '[redacted]', retry_count: 0 });
    expect(hidden.deadLetters[0].headers).toBe('[redacted]');
    const shown = await service.trace({ messageId: 'order-1', includePayload: true });
    expect(shown.anchor?.payload).toEqual({ order_id: 7, card: { token: '[redacted]', last4: '4242' } });
  });

  it('traces a correlation id with the earliest message as anchor', async () => {
    const trace = await service.trace({ correlationId: 'corr-1' });
    expect(trace.anchor?.messageId).toBe('order-1');
    expect(trace.messages).toHaveLength(3);
  });

  it('cuts every section at the limit and says so', async () => {
    const trace = await service.trace({ correlationId: 'corr-1', limit: 2 });
    expect(trace.messages).toHaveLength(2);
    expect(trace.timeline).toHaveLength(2);
    expect(trace.truncated).toBe(true);
  });

  it('reports an unknown message as not found', async () => {
    const trace = await service.trace({ messageId: 'nope' });
    expect(trace.found).toBe(false);
    expect(trace.messages).toEqual([]);
  });

  it('needs a message id or a correlation id and a limit within 1..500', async () => {
    await expect(service.trace({})).rejects.toBeInstanceOf(TalktoUsageError);
    await expect(service.trace({ messageId: 'order-1', limit: 501 })).rejects.toBeInstanceOf(
      TalktoUsageError,
    );
  });
});
