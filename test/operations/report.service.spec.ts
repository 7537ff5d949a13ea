import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { FixedTalktoClock } from '../../lib/clock/talkto.clock.js';
import { TalktoUsageError } from '../../lib/errors/talkto-usage.error.js';
import { ReportService } from '../../lib/operations/report.service.js';
import { TalktoRedactor } from '../../lib/operations/talkto.redactor.js';
import { openMigratedDatabase, type MigratedDatabase } from '../persistence/migrated-database.js';
import {
  minutesAgo,
  NOW,
  seedAttempt,
  seedDeadLetter,
  seedEvent,
  seedMessage,
} from './operations-fixtures.js';

describe.each(['sqlite', 'postgres'] as const)('ReportService on %s', (kind) => {
  let database: MigratedDatabase;
  let service: ReportService;

  beforeAll(async () => {
    database = await openMigratedDatabase(kind);
    const ds = database.dataSource;
    const done = await seedMessage(ds, { messageId: 'm-done', overallStatus: 'completed' });
    await seedAttempt(ds, done, { status: 'sent' });
    await seedEvent(ds, done, { eventType: 'message_sent' });
    const retry = await seedMessage(ds, {
      messageId: 'm-retry',
      overallStatus: 'failed_retryable',
      nextRetryAt: minutesAgo(1),
      lastError: 'HTTP 503 from peer; Authorization: Bearer abc.def',
      createdAt: minutesAgo(20),
    });
    await seedAttempt(ds, retry, { status: 'failed_retryable', httpStatus: 503 });
    await seedMessage(ds, {
      messageId: 'm-later',
      overallStatus: 'failed_retryable',
      nextRetryAt: new Date(NOW.getTime() + 60_000),
      createdAt: minutesAgo(10),
    });
    const final = await seedMessage(ds, {
      messageId: 'm-final',
      overallStatus: 'failed_final',
      command: 'billing.refund',
      createdAt: minutesAgo(5),
    });
    await seedDeadLetter(ds, final);
    await seedMessage(ds, {
      messageId: 'm-in',
      direction: 'incoming',
      command: 'shop.ship',
      overallStatus: 'succeeded',
      createdAt: minutesAgo(15),
    });
    // Outside the 24 h window: counted only by the all-time figures.
    await seedMessage(ds, {
      messageId: 'm-old',
      overallStatus: 'failed_final',
      createdAt: minutesAgo(3 * 24 * 60),
    });
    service = new ReportService(ds, new FixedTalktoClock(NOW), new TalktoRedactor());
  });

  afterAll(async () => {
    await database.close();
  });

  it('counts the window by status, direction, command and peer with failure rates', async () => {
    const report = await service.report();
    expect(report.totals).toEqual({
      messages: 5,
      incoming: 1,
      outgoing: 4,
      succeeded: 2,
      failed: 3,
      retryable: 2,
      finalFailed: 1,
      processing: 0,
      dueRetries: 1,
      openDeadLetters: 1,
    });
    expect(report.successRate).toBe(40);
    expect(report.failureRate).toBe(60);
    expect(report.statusCounts).toEqual({ completed: 1, failed_retryable: 2, failed_final: 1, succeeded: 1 });
    expect(report.commandCounts).toEqual([
      { name: 'billing.create-invoice', direction: 'outgoing', total: 3, failed: 2, failureRate: 66.67 },
      { name: 'billing.refund', direction: 'outgoing', total: 1, failed: 1, failureRate: 100 },
      { name: 'shop.ship', direction: 'incoming', total: 1, failed: 0, failureRate: 0 },
    ]);
    expect(report.peerCounts).toEqual([
      { name: 'billing', direction: 'outgoing', total: 4, failed: 3, failureRate: 75 },
      { name: 'billing', direction: 'incoming', total: 1, failed: 0, failureRate: 0 },
    ]);
    expect(report.attemptStatusCounts).toEqual({ sent: 1, failed_retryable: 1 });
    expect(report.eventTypeCounts).toEqual({ message_sent: 1 });
    expect(report.health).toEqual({
      ok: false,
      warnings: ['due_retries=1', 'open_dead_letters=1', 'final_failures=1'],
    });
  });

  it('lists recent failures newest first with credentials redacted from errors', async () => {
    const report = await service.report({ limit: 2 });
    expect(report.recentFailures.map((row) => row.messageId)).toEqual(['m-final', 'm-later']);
    const all = await service.report();
    const retry = all.recentFailures.find((row) => row.messageId === 'm-retry');
    expect(retry?.lastError).toBe('HTTP 503 from peer; Authorization: [redacted]');
  });

  it('filters by direction and widens the window with hours', async () => {
    const incoming = await service.report({ direction: 'incoming' });
    expect(incoming.totals.messages).toBe(1);
    expect(incoming.totals.dueRetries).toBe(0);
    const week = await service.report({ hours: 24 * 7 });
    expect(week.totals.messages).toBe(6);
  });

  it('refuses invalid options without touching anything', async () => {
    await expect(service.report({ direction: 'sideways' as never })).rejects.toBeInstanceOf(TalktoUsageError);
    await expect(service.report({ limit: 0 })).rejects.toBeInstanceOf(TalktoUsageError);
    await expect(service.report({ hours: -1 })).rejects.toBeInstanceOf(TalktoUsageError);
    await expect(service.report({ from: NOW, to: minutesAgo(1) })).rejects.toBeInstanceOf(TalktoUsageError);
  });
});
