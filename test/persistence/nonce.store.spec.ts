import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { TalktoNonceEntity } from '../../lib/persistence/entities/nonce.entity.js';
import { NonceStore } from '../../lib/persistence/nonce.store.js';
import { runInTransaction } from '../../lib/persistence/statements/run-in-transaction.util.js';
import { DATABASE_KINDS } from '../support/databases.js';
import { type MigratedDatabase, openMigratedDatabase } from './migrated-database.js';

describe.each(DATABASE_KINDS)('NonceStore on %s', (kind) => {
  let db: MigratedDatabase;
  let store: NonceStore;
  const now = new Date('2026-03-01T10:00:00.250Z');
  const input = (nonceHash: string, messageId: string) => ({
    nonceHash,
    source: 'billing',
    target: 'orders',
    messageId,
    signedTimestamp: '1772359200',
    now,
    retentionDays: 0,
  });

  beforeAll(async () => {
    db = await openMigratedDatabase(kind);
    store = new NonceStore(db.dataSource);
  });

  afterAll(async () => {
    await db?.close();
  });

  it('accepts a new nonce hash and rejects its reuse', async () => {
    expect(await store.consume(input('a'.repeat(64), 'm-1'))).toBe(true);
    expect(await store.consume(input('a'.repeat(64), 'm-2'))).toBe(false);
    expect(await store.consume(input('b'.repeat(64), 'm-2'))).toBe(true);
  });

  it('keeps the row for the default 7 days when retention is not positive', async () => {
    const row = await db.dataSource.manager.findOneByOrFail(TalktoNonceEntity, { nonceHash: 'a'.repeat(64) });
    expect(row.expiresAt?.toISOString()).toBe('2026-03-08T10:00:00.250Z');
    expect(row.messageId).toBe('m-1');
  });

  it('lets exactly one of many concurrent consumers win', async () => {
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) => store.consume(input('c'.repeat(64), `r-${i}`))),
    );
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  it('keeps a nonce recorded while another transaction is open and then rolled back', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let opened!: () => void;
    const isOpen = new Promise<void>((resolve) => (opened = resolve));
    const rolledBack = runInTransaction(db.dataSource, undefined, async (manager) => {
      await manager.query('SELECT 1');
      opened();
      await held;
      throw new Error('roll back');
    });
    await isOpen;
    const consumed = store.consume(input('e'.repeat(64), 'm-4'));
    release();
    await expect(rolledBack).rejects.toThrow('roll back');
    expect(await consumed).toBe(true);
    expect(await db.dataSource.manager.existsBy(TalktoNonceEntity, { nonceHash: 'e'.repeat(64) })).toBe(true);
    expect(await store.consume(input('e'.repeat(64), 'm-5'))).toBe(false);
  });

  it('propagates database errors that are not reuse', async () => {
    // A NOT NULL violation, not a unique one.
    const broken = { ...input('d'.repeat(64), 'm-3'), source: null as unknown as string };
    await expect(store.consume(broken)).rejects.toThrow();
  });
});
