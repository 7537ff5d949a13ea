import { describe, expect, it } from '@jest/globals';
import { TalktoMessageEntity } from '../../lib/persistence/entities/message.entity.js';
import { InsertedRowCache } from '../../lib/persistence/statements/inserted-row.cache.js';

const row = (id: number, payload: string | null = '{}') =>
  Object.assign(new TalktoMessageEntity(), { id, messageId: `m-${id}`, payload });

describe('InsertedRowCache', () => {
  it('hands a row out once, as a copy the inserter cannot change afterwards', () => {
    const cache = new InsertedRowCache();
    const inserted = row(1);
    cache.remember(inserted);
    inserted.lastError = 'changed by the caller';
    const kept = cache.take(1);
    expect(kept).toMatchObject({ id: 1, messageId: 'm-1' });
    expect(kept?.lastError).toBeUndefined();
    expect(cache.take(1)).toBeUndefined();
  });

  it('lets the oldest rows go beyond 1024 rows', () => {
    const cache = new InsertedRowCache();
    for (let id = 1; id <= 1025; id++) cache.remember(row(id));
    expect(cache.take(1)).toBeUndefined();
    expect(cache.take(2)?.id).toBe(2);
    expect(cache.take(1025)?.id).toBe(1025);
  });

  it('lets the oldest rows go when the payloads kept pass 4 Mi characters', () => {
    const cache = new InsertedRowCache();
    const large = 'x'.repeat(1.5 * 1024 * 1024);
    cache.remember(row(1, large));
    cache.remember(row(2, null));
    cache.remember(row(3, large));
    expect(cache.take(1)?.id).toBe(1);
    cache.remember(row(1, large));
    cache.remember(row(4, large));
    // 2 and 3 were the oldest: 2 went first, and 3 had to follow to make room.
    expect([cache.take(2), cache.take(3)]).toEqual([undefined, undefined]);
    expect([cache.take(1)?.id, cache.take(4)?.id]).toEqual([1, 4]);
  });
});
