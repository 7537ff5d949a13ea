import { afterAll, beforeAll, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { Logger as NestLogger } from '@nestjs/common';
import { type DataSource, Like, type Logger } from 'typeorm';
import { TalktoAttemptEntity } from '../../lib/persistence/entities/attempt.entity.js';
import { TalktoEventEntity } from '../../lib/persistence/entities/event.entity.js';
import { TalktoMessageEntity } from '../../lib/persistence/entities/message.entity.js';
import { TalktoNonceEntity } from '../../lib/persistence/entities/nonce.entity.js';
import { MessageLog } from '../../lib/persistence/message.log.js';
import { NonceStore } from '../../lib/persistence/nonce.store.js';
import { PostgresChainBatcher } from '../../lib/persistence/statements/postgres-chain-batcher.js';
import { type ChainResult } from '../../lib/persistence/statements/chain-result.js';
import { RowChain } from '../../lib/persistence/statements/row-chain.js';
import { findRow, INCREMENT } from '../../lib/persistence/statements/row-statements.js';
import { isUniqueViolation } from '../../lib/persistence/statements/unique-violation.util.js';
import { underFakeTimers } from '../support/fake-timers.js';
import { type MigratedDatabase, openMigratedDatabase } from './migrated-database.js';

/** A batch parameter as its values: an array, or the array literal Talkto wrote (quoted or NULL). */
function valuesOf(parameter: unknown): unknown[] {
  if (typeof parameter !== 'string') return parameter as unknown[];
  return [...parameter.matchAll(/NULL|"((?:[^"\\]|\\.)*)"/g)].map((element) =>
    element[1] === undefined ? null : element[1].replace(/\\(.)/g, '$1'),
  );
}

/** Counts the statements a DataSource runs: chains alone (`WITH s0`) and batches (`WITH b`). */
function countStatements(dataSource: DataSource) {
  const seen = { alone: 0, batches: 0, chainsInBatches: 0 };
  const logger: Logger = {
    logQuery: (query, parameters) => {
      if (query.startsWith('WITH b AS')) {
        seen.batches++;
        seen.chainsInBatches += valuesOf((parameters as unknown[])[0]).length;
      } else if (query.startsWith('WITH s0 AS')) {
        seen.alone++;
      }
    },
    logQueryError: () => undefined,
    logQuerySlow: () => undefined,
    logSchemaBuild: () => undefined,
    logMigration: () => undefined,
    log: () => undefined,
  };
  Object.assign(dataSource, { logger });
  return seen;
}

describe('PostgresChainBatcher', () => {
  let db: MigratedDatabase;
  let seen: ReturnType<typeof countStatements>;
  const at = new Date('2026-03-01T10:00:00.250Z');

  beforeAll(async () => {
    db = await openMigratedDatabase('postgres');
  });

  afterAll(async () => {
    await db?.close();
  });

  beforeEach(() => {
    seen = countStatements(db.dataSource);
  });

  const message = (messageId: string) => ({
    messageId,
    direction: 'incoming' as const,
    sourceService: 'orders',
    targetService: 'billing',
    command: 'x.y',
    overallStatus: 'queued',
    createdAt: at,
  });

  /** A message with its nonce and arrival event, as the receive route stores one. */
  function receive(messageId: string, payload: string | null = null) {
    const chain = new RowChain();
    const nonce = chain.insert(TalktoNonceEntity, {
      nonceHash: `nonce-${messageId}`,
      sourceService: 'orders',
      targetService: 'billing',
      usedAt: at,
    });
    const stored = chain.insert(TalktoMessageEntity, { ...message(messageId), payload });
    const event = chain.insert(TalktoEventEntity, {
      talktoMessageId: stored,
      messageId,
      serviceName: 'billing',
      eventType: 'message_received',
      meta: { messageId },
    });
    return { chain, nonce, stored, event };
  }

  /** Claims a row seen in `seenStatus`, with an attempt and two events that need the claim. */
  function claim(id: number, seenStatus: string) {
    const chain = new RowChain();
    const claimed = chain.update(
      TalktoMessageEntity,
      { overallStatus: 'processing', attempts: INCREMENT },
      {
        equal: { id, overallStatus: seenStatus },
        sql: (bind) => `direction = ${bind('incoming', 'direction')}`,
      },
    );
    const attempt = chain.insert(
      TalktoAttemptEntity,
      { talktoMessageId: id, stage: 'destination_processor', status: 'processing', attemptNo: 1 },
      claimed,
    );
    const first = chain.insert(
      TalktoEventEntity,
      { talktoMessageId: id, serviceName: 'billing', eventType: 'first' },
      claimed,
    );
    const second = chain.insert(
      TalktoEventEntity,
      { talktoMessageId: id, serviceName: 'billing', eventType: 'second' },
      claimed,
    );
    return { chain, claimed, attempt, first, second };
  }

  const run = (chain: RowChain): Promise<ChainResult> => chain.run(db.dataSource.manager);

  /** One turn of the event loop: the batcher's own start, if one is due, comes first. */
  const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

  it('runs the chains started in one turn of the event loop as one statement, each with its own rows', async () => {
    const receives = Array.from({ length: 12 }, (_, i) => receive(`batch-${i}`));
    const results = await Promise.all(receives.map(({ chain }) => run(chain)));

    expect(seen).toEqual({ alone: 0, batches: 1, chainsInBatches: 12 });
    for (const [i, { stored, event, nonce }] of receives.entries()) {
      const row = await db.dataSource.manager.findOneByOrFail(TalktoMessageEntity, {
        messageId: `batch-${i}`,
      });
      expect(results[i]!.id(stored)).toBe(row.id);
      const logged = await db.dataSource.manager.findOneByOrFail(TalktoEventEntity, {
        id: results[i]!.id(event)!,
      });
      expect(logged).toMatchObject({
        talktoMessageId: row.id,
        messageId: `batch-${i}`,
        meta: { messageId: `batch-${i}` },
      });
      const used = await db.dataSource.manager.findOneByOrFail(TalktoNonceEntity, {
        id: results[i]!.id(nonce)!,
      });
      expect(used.nonceHash).toBe(`nonce-batch-${i}`);
      expect(row.createdAt?.toISOString()).toBe(at.toISOString());
    }
  });

  it('runs the chains that arrive while one of their shape runs as the next statement', async () => {
    const first = run(receive('running-0').chain);
    await nextTurn();
    const later = Array.from({ length: 5 }, (_, i) => run(receive(`running-${i + 1}`).chain));
    await Promise.all([first, ...later]);

    expect(seen).toEqual({ alone: 1, batches: 1, chainsInBatches: 5 });
    expect(await db.dataSource.manager.countBy(TalktoMessageEntity, { messageId: Like('running-%') })).toBe(
      6,
    );
  });

  it("starts a statement under a host test's fake timers", async () => {
    const { chain, stored } = receive('fake-timers');
    const result = await underFakeTimers(() => run(chain), { keepDate: true });
    expect(result.id(stored)).toEqual(expect.any(Number));
    expect(seen).toEqual({ alone: 1, batches: 0, chainsInBatches: 0 });
  });

  it('splits the waiting chains whose values pass a mebibyte of text between statements', async () => {
    const payload = 'x'.repeat(400_000);
    const receives = Array.from({ length: 5 }, (_, i) => receive(`large-${i}`, payload));
    await Promise.all(receives.map(({ chain }) => run(chain)));

    expect(seen).toEqual({ alone: 1, batches: 2, chainsInBatches: 4 });
    const stored = await db.dataSource.manager.findOneByOrFail(TalktoMessageEntity, { messageId: 'large-4' });
    expect(stored.payload).toBe(payload);
  });

  it('skips the later steps of only those chains whose conditional update found its row changed', async () => {
    const rows = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        db.dataSource.manager.findOneByOrFail(TalktoMessageEntity, { messageId: `batch-${i}` }),
      ),
    );
    // Rows 0, 2 and 4 are claimed from the status they are in; 1, 3 and 5 from one they are not.
    const claims = rows.map((row, i) => claim(row.id, i % 2 === 0 ? 'queued' : 'sending'));
    const results = await Promise.all(claims.map(({ chain }) => run(chain)));

    expect(seen.batches).toBe(1);
    for (const [i, { claimed, attempt, first, second }] of claims.entries()) {
      const won = i % 2 === 0;
      expect(results[i]!.wrote(claimed)).toBe(won);
      expect(results[i]!.id(attempt) !== null).toBe(won);
      const stored = await db.dataSource.manager.findOneByOrFail(TalktoMessageEntity, { id: rows[i]!.id });
      expect(stored).toMatchObject({ overallStatus: won ? 'processing' : 'queued', attempts: won ? 1 : 0 });
      const events = await db.dataSource.manager.find(TalktoEventEntity, {
        where: { talktoMessageId: rows[i]!.id, serviceName: 'billing', eventType: 'first' },
      });
      expect(events).toHaveLength(won ? 1 : 0);
      if (won) {
        // A chain's rows keep their order in the log.
        expect(results[i]!.id(first)!).toBeLessThan(results[i]!.id(second)!);
        const tried = await db.dataSource.manager.findOneByOrFail(TalktoAttemptEntity, {
          id: results[i]!.id(attempt)!,
        });
        expect(tried.talktoMessageId).toBe(rows[i]!.id);
      }
    }
  });

  it('lets two chains of one batch race for one row: exactly one of them takes it', async () => {
    const row = await db.dataSource.manager.findOneByOrFail(TalktoMessageEntity, { messageId: 'batch-6' });
    const claims = Array.from({ length: 4 }, () => claim(row.id, 'queued'));
    const results = await Promise.all(claims.map(({ chain }) => run(chain)));

    expect(results.filter((result, i) => result.wrote(claims[i]!.claimed))).toHaveLength(1);
    expect(await db.dataSource.manager.countBy(TalktoAttemptEntity, { talktoMessageId: row.id })).toBe(1);
    expect(await db.dataSource.manager.findOneByOrFail(TalktoMessageEntity, { id: row.id })).toMatchObject({
      overallStatus: 'processing',
      attempts: 1,
    });
  });

  it('gives a unique violation to the one chain that caused it; the rest of its batch is stored', async () => {
    const receives = ['dup-a', 'dup-b', 'batch-0', 'dup-c', 'dup-d'].map((id) => receive(id));
    const outcomes = await Promise.allSettled(receives.map(({ chain }) => run(chain)));

    expect(outcomes.map((outcome) => outcome.status)).toEqual([
      'fulfilled',
      'fulfilled',
      'rejected',
      'fulfilled',
      'fulfilled',
    ]);
    expect(isUniqueViolation((outcomes[2] as PromiseRejectedResult).reason)).toBe(true);
    for (const messageId of ['dup-a', 'dup-b', 'dup-c', 'dup-d']) {
      expect(await db.dataSource.manager.countBy(TalktoMessageEntity, { messageId })).toBe(1);
    }
    expect(await db.dataSource.manager.countBy(TalktoNonceEntity, { nonceHash: 'nonce-batch-0' })).toBe(1);

    // Batching goes on: a duplicate is a fact of one chain, not of the batch statement.
    await Promise.all(['more-a', 'more-b', 'more-c'].map((id) => run(receive(id).chain)));
    expect(seen.batches).toBe(2);
  });

  it('lets the next statements run while one waits for a row lock another transaction holds', async () => {
    await run(receive('locked-row').chain);
    const row = await db.dataSource.manager.findOneByOrFail(TalktoMessageEntity, { messageId: 'locked-row' });
    const holder = db.dataSource.createQueryRunner();
    await holder.startTransaction();
    try {
      await holder.query(`SELECT id FROM talkto_messages WHERE id = $1 FOR UPDATE`, [row.id]);
      const blocked = claim(row.id, 'queued');
      let claimed: ChainResult | undefined;
      const claiming = run(blocked.chain).then((result) => (claimed = result));
      // Arrives while the claim waits for the lock, and is stored meanwhile.
      const other = receive('while-blocked');
      const stored = await run(other.chain);
      expect(stored.id(other.stored)).toEqual(expect.any(Number));
      expect(claimed).toBeUndefined();
      await holder.commitTransaction();
      await claiming;
      expect(claimed!.wrote(blocked.claimed)).toBe(true);
    } finally {
      if (holder.isTransactionActive) await holder.rollbackTransaction();
      await holder.release();
    }
  });

  it('looks up concurrent rows of one shape in one statement, each finding its own row or none', async () => {
    const stored = await Promise.all(
      ['lookup-0', 'lookup-1', 'lookup-2'].map(async (messageId) => {
        const { chain, stored } = receive(messageId, `{"for":"${messageId}"}`);
        return (await run(chain)).id(stored)!;
      }),
    );
    const reads: unknown[][] = [];
    const logQuery = db.dataSource.logger.logQuery.bind(db.dataSource.logger);
    db.dataSource.logger.logQuery = (query, parameters) => {
      if (query.startsWith('SELECT')) reads.push((parameters ?? []) as unknown[]);
      logQuery(query, parameters);
    };
    const wanted = ['lookup-1', 'lookup-missing', 'lookup-0', 'lookup-2', 'lookup-1'];
    const found = await Promise.all(
      wanted.map((messageId) =>
        findRow(db.dataSource.manager, TalktoMessageEntity, { messageId, direction: 'incoming' }),
      ),
    );

    // All five in one statement, the repeated one twice.
    expect(reads.map((parameters) => parameters.length)).toEqual([2]);
    expect(valuesOf(reads[0]![0])).toEqual(wanted);
    expect(found.map((row) => row?.id ?? null)).toEqual([stored[1], null, stored[0], stored[2], stored[1]]);
    for (const row of found.filter((row) => row !== null)) {
      expect(row).toEqual(await db.dataSource.manager.findOneByOrFail(TalktoMessageEntity, { id: row.id }));
    }
  });

  describe('writes that need no transaction', () => {
    const nonce = (name: string, messageId: string) => ({
      nonceHash: name.padEnd(64, '0'),
      source: 'orders',
      target: 'billing',
      messageId,
      signedTimestamp: null,
      now: at,
      retentionDays: 7,
    });

    it('records concurrent nonces and events on their own in one statement of each shape', async () => {
      const nonces = new NonceStore(db.dataSource);
      const log = new MessageLog(db.dataSource);
      const [consumed, ids] = await Promise.all([
        Promise.all(Array.from({ length: 6 }, (_, i) => nonces.consume(nonce(`alone-${i}`, `alone-${i}`)))),
        Promise.all(
          Array.from({ length: 6 }, (_, i) =>
            log.recordEvent({
              talktoMessageId: null,
              messageId: `alone-${i}`,
              serviceName: 'billing',
              eventType: 'noted_alone',
              meta: { i },
              now: at,
            }),
          ),
        ),
      ]);

      expect(consumed).toEqual(Array.from({ length: 6 }, () => true));
      // One statement for the nonces, one for the events.
      expect(seen).toEqual({ alone: 0, batches: 2, chainsInBatches: 12 });
      for (const [i, id] of ids.entries()) {
        expect(await db.dataSource.manager.findOneByOrFail(TalktoEventEntity, { id })).toMatchObject({
          messageId: `alone-${i}`,
          eventType: 'noted_alone',
          meta: { i },
        });
      }
      const used = await db.dataSource.manager.findOneByOrFail(TalktoNonceEntity, {
        nonceHash: nonce('alone-3', '').nonceHash,
      });
      expect(used).toMatchObject({ messageId: 'alone-3', sourceService: 'orders', targetService: 'billing' });
    });

    it('takes a nonce used twice in one batch once and records the others', async () => {
      const nonces = new NonceStore(db.dataSource);
      const names = ['reuse-a', 'reuse-b', 'reuse-a', 'reuse-c'];
      const consumed = await Promise.all(names.map((name, i) => nonces.consume(nonce(name, `reuse-${i}`))));

      // The batch fails on the duplicate and its chains run again each alone, side by side:
      // either use of the reused nonce may be the one taken, never both.
      expect([consumed[1], consumed[3]]).toEqual([true, true]);
      expect([consumed[0], consumed[2]].filter(Boolean)).toHaveLength(1);
      for (const name of ['reuse-a', 'reuse-b', 'reuse-c']) {
        expect(
          await db.dataSource.manager.countBy(TalktoNonceEntity, { nonceHash: nonce(name, '').nonceHash }),
        ).toBe(1);
      }
    });
  });

  it('runs chains inside a transaction on that transaction, never batched', async () => {
    const runner = db.dataSource.createQueryRunner();
    await runner.startTransaction();
    try {
      for (const id of ['tx-a', 'tx-b', 'tx-c']) await receive(id).chain.run(runner.manager);
    } finally {
      await runner.rollbackTransaction();
      await runner.release();
    }
    expect(seen).toEqual({ alone: 3, batches: 0, chainsInBatches: 0 });
    expect(await db.dataSource.manager.countBy(TalktoMessageEntity, { messageId: 'tx-a' })).toBe(0);
  });

  it('stops batching on a data source whose batch statement fails where each chain alone succeeds', async () => {
    const other = await db.connectAgain();
    const counted = countStatements(other);
    const warn = jest.spyOn(NestLogger.prototype, 'warn').mockImplementation(() => undefined);
    try {
      // A chain whose batch form the server refuses; alone it is a plain statement.
      const broken = (n: number) => ({
        batchStatement: () => 'WITH b AS (SELECT 1) SELECT no_such_column FROM b',
        resultOf: (row: Record<string, unknown> | undefined) => new RowChain().resultOf(row),
        n,
      });
      const batcher = PostgresChainBatcher.of(other);
      const alone = 'WITH s0 AS (SELECT $1::int AS id) SELECT (SELECT min(id) FROM s0) AS s0';
      await Promise.all([1, 2, 3, 4].map((n) => batcher.run(broken(n), alone, [n])));
      expect(warn).toHaveBeenCalledWith(expect.stringContaining('now run one by one'));
      expect(counted).toEqual({ alone: 4, batches: 1, chainsInBatches: 4 });

      // From then on nothing waits: every chain runs at once, alone.
      await Promise.all([5, 6, 7].map((n) => batcher.run(broken(n), alone, [n])));
      expect(counted.alone).toBe(7);
      expect(warn).toHaveBeenCalledTimes(1);
    } finally {
      warn.mockRestore();
    }
  });
});
