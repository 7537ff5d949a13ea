import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { OverviewQueries, percentile, type Window } from '../../lib/panel/overview.queries.js';
import { TalktoDeadLetterEntity } from '../../lib/persistence/entities/dead-letter.entity.js';
import { TalktoMessageEntity } from '../../lib/persistence/entities/message.entity.js';
import { DATABASE_KINDS } from '../support/databases.js';
import { type MigratedDatabase, openMigratedDatabase } from '../persistence/migrated-database.js';

const START = new Date('2026-03-01T10:00:00.000Z');
const at = (minutes: number, seconds = 0) => new Date(START.getTime() + minutes * 60_000 + seconds * 1000);
/** Six one-minute buckets from 10:00 to 10:06. */
const WINDOW: Window = { start: START, end: at(6), bucketSeconds: 60 };

describe.each(DATABASE_KINDS)('overview queries on %s', (kind) => {
  let db: MigratedDatabase;
  let queries: OverviewQueries;
  let seq = 0;

  const message = (fields: Partial<TalktoMessageEntity>) =>
    db.dataSource.getRepository(TalktoMessageEntity).save({
      messageId: `m-${++seq}`,
      direction: 'outgoing',
      sourceService: 'shop',
      targetService: 'ledger',
      command: 'ledger.post',
      overallStatus: 'succeeded',
      ...fields,
    });

  beforeAll(async () => {
    db = await openMigratedDatabase(kind);
    queries = new OverviewQueries(db.dataSource);
    // Before the window, and at its very end: never counted.
    await message({ createdAt: at(-1, 59) });
    await message({ createdAt: at(6) });
    await message({
      createdAt: at(0),
      overallStatus: 'completed',
      sentAt: at(0, 2),
      completedAt: at(0, 12),
      destinationReceiveStatus: 'received',
    });
    await message({ createdAt: at(0, 59), overallStatus: 'failed_final' });
    await message({ createdAt: at(2, 30), overallStatus: 'sending' });
    await message({
      createdAt: at(5, 59),
      overallStatus: 'destination_received',
      sentAt: at(5, 59.5),
      destinationReceiveStatus: 'received',
    });
    await message({
      createdAt: at(3),
      direction: 'incoming',
      sourceService: 'billing',
      targetService: 'shop',
      command: 'shop.pay',
    });
    // Waiting retries: due before the window, due in minute 4, due after it.
    await message({ createdAt: at(-30), overallStatus: 'failed_retryable', nextRetryAt: at(-5) });
    await message({ createdAt: at(-30), overallStatus: 'failed_retryable', nextRetryAt: at(4, 10) });
    await message({ createdAt: at(-30), overallStatus: 'failed_retryable', nextRetryAt: at(9) });
    const letters = db.dataSource.getRepository(TalktoDeadLetterEntity);
    // Open since before, closed in minute 2, opened in minute 3 and still open.
    await letters.save({ messageId: 'd-1', status: 'open', createdAt: at(-10), updatedAt: at(-10) });
    await letters.save({ messageId: 'd-2', status: 'reprocessed', createdAt: at(-10), updatedAt: at(2, 5) });
    await letters.save({ messageId: 'd-3', status: 'open', createdAt: at(3, 1), updatedAt: at(3, 1) });
  });

  afterAll(async () => {
    await db?.close();
  });

  it('counts messages per bucket, direction and outcome inside the window only', async () => {
    const counts = await queries.throughput(WINDOW);
    expect(counts.outgoing).toEqual({
      succeeded: [1, 0, 0, 0, 0, 0],
      failed: [1, 0, 0, 0, 0, 0],
      in_flight: [0, 0, 1, 0, 0, 1],
    });
    expect(counts.incoming.succeeded).toEqual([0, 0, 0, 1, 0, 0]);
    expect((await queries.throughput(WINDOW, 'billing')).outgoing.succeeded).toEqual([0, 0, 0, 0, 0, 0]);
  });

  it('measures created → received and sent → result applied in milliseconds', async () => {
    await expect(queries.deliveryLatency(WINDOW, 'talkto.result')).resolves.toEqual({
      values: [500, 2000],
      capped: false,
    });
    await expect(queries.resultLatency(WINDOW, 'talkto.result')).resolves.toEqual({
      values: [10_000],
      capped: false,
    });
  });

  it('rebuilds the due-retry backlog and open dead letters at the end of each bucket', async () => {
    await expect(queries.dueRetryBacklog(WINDOW, at(6))).resolves.toEqual([1, 1, 1, 1, 2, 2]);
    // Seen from 10:04:05, the retry due at 10:04:10 is not due yet.
    await expect(queries.dueRetryBacklog(WINDOW, at(4, 5))).resolves.toEqual([1, 1, 1, 1, 1, 1]);
    await expect(queries.openDeadLetters(WINDOW)).resolves.toEqual([2, 2, 1, 2, 2, 2]);
  });

  it('sums traffic per peer and direction', async () => {
    await expect(queries.peers(WINDOW, 'shop')).resolves.toEqual([
      { direction: 'incoming', peer: 'billing', total: 1, succeeded: 1, failed: 0 },
      { direction: 'outgoing', peer: 'ledger', total: 4, succeeded: 1, failed: 1 },
    ]);
  });
});

describe('percentile', () => {
  it('takes the nearest rank of sorted values', () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1);
    expect([percentile(values, 50), percentile(values, 90), percentile(values, 99)]).toEqual([50, 90, 99]);
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([], 50)).toBeNull();
  });
});
