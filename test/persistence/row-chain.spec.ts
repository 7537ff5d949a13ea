import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { TalktoAttemptEntity } from '../../lib/persistence/entities/attempt.entity.js';
import { TalktoEventEntity } from '../../lib/persistence/entities/event.entity.js';
import { TalktoMessageEntity } from '../../lib/persistence/entities/message.entity.js';
import { TalktoNonceEntity } from '../../lib/persistence/entities/nonce.entity.js';
import type { ChainStep } from '../../lib/persistence/statements/chain-result.js';
import { RowChain, runChained } from '../../lib/persistence/statements/row-chain.js';
import { INCREMENT, SqlExpression } from '../../lib/persistence/statements/row-statements.js';
import { DATABASE_KINDS } from '../support/databases.js';
import { type MigratedDatabase, openMigratedDatabase } from './migrated-database.js';

describe.each(DATABASE_KINDS)('RowChain on %s', (kind) => {
  let db: MigratedDatabase;
  const at = new Date('2026-03-01T10:00:00.250Z');

  beforeAll(async () => {
    db = await openMigratedDatabase(kind);
  });

  afterAll(async () => {
    await db?.close();
  });

  const message = (messageId: string) => ({
    messageId,
    direction: 'incoming' as const,
    sourceService: 'orders',
    targetService: 'billing',
    command: 'x.y',
    overallStatus: 'queued',
  });
  const nonce = (nonceHash: string) => ({
    nonceHash,
    sourceService: 'orders',
    targetService: 'billing',
    usedAt: at,
  });
  const run = (chain: RowChain) => runChained(db.dataSource, undefined, (manager) => chain.run(manager));
  const messageNamed = (messageId: string) =>
    db.dataSource.manager.findOneByOrFail(TalktoMessageEntity, { messageId });

  it('gives a later row the id an earlier insert wrote', async () => {
    const chain = new RowChain();
    const used = chain.insert(TalktoNonceEntity, nonce('a'.repeat(64)));
    const stored = chain.insert(TalktoMessageEntity, message('chain-1'));
    const event = chain.insert(TalktoEventEntity, {
      talktoMessageId: stored,
      serviceName: 'billing',
      eventType: 'message_received',
      meta: { a: 1 },
      createdAt: at,
    });
    const written = await run(chain);
    const row = await messageNamed('chain-1');
    expect(written.id(stored)).toBe(row.id);
    expect(written.id(used)).toEqual(expect.any(Number));
    const logged = await db.dataSource.manager.findOneByOrFail(TalktoEventEntity, { id: written.id(event)! });
    expect(logged).toMatchObject({ talktoMessageId: row.id, meta: { a: 1 } });
    expect(logged.createdAt?.toISOString()).toBe(at.toISOString());
  });

  it('writes none of its rows when the last one is refused', async () => {
    const chain = new RowChain();
    const stored = chain.insert(TalktoMessageEntity, message('chain-2'));
    chain.insert(TalktoEventEntity, { talktoMessageId: stored, serviceName: 'billing', eventType: 'x' });
    chain.insert(TalktoNonceEntity, nonce('a'.repeat(64)));
    await expect(run(chain)).rejects.toThrow();
    expect(await db.dataSource.manager.countBy(TalktoMessageEntity, { messageId: 'chain-2' })).toBe(0);
  });

  it('runs a write `when` an earlier one changed a row, and skips it otherwise', async () => {
    const { id } = await messageNamed('chain-1');
    const claim = (seenStatus: string) => {
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
      const touched = chain.update(
        TalktoNonceEntity,
        { messageId: 'chain-1' },
        { equal: { nonceHash: 'a'.repeat(64) } },
        claimed,
      );
      return { chain, claimed, attempt, touched };
    };

    const lost = claim('sending');
    const none = await run(lost.chain);
    expect([none.wrote(lost.claimed), none.id(lost.attempt), none.wrote(lost.touched)]).toEqual([
      false,
      null,
      false,
    ]);
    expect(await db.dataSource.manager.countBy(TalktoAttemptEntity, { talktoMessageId: id })).toBe(0);

    const won = claim('queued');
    const done = await run(won.chain);
    expect([done.wrote(won.claimed), done.wrote(won.touched)]).toEqual([true, true]);
    const attempt = await db.dataSource.manager.findOneByOrFail(TalktoAttemptEntity, {
      id: done.id(won.attempt)!,
    });
    expect(attempt).toMatchObject({ talktoMessageId: id, status: 'processing' });
    expect(await messageNamed('chain-1')).toMatchObject({ overallStatus: 'processing', attempts: 1 });
    expect(
      await db.dataSource.manager.findOneByOrFail(TalktoNonceEntity, { nonceHash: 'a'.repeat(64) }),
    ).toMatchObject({
      messageId: 'chain-1',
    });
  });

  it('writes each chain by its own shape when chains differ in one condition, expression or value', async () => {
    for (const messageId of ['shape-1', 'shape-2', 'shape-3']) {
      await run(chainOf((chain) => chain.insert(TalktoMessageEntity, message(messageId))).chain);
    }
    await db.dataSource.manager.update(TalktoMessageEntity, { messageId: 'shape-2' }, { lockedBy: 'w-2' });
    // Each pair runs one after the other: the second is the first's shape but for one piece.
    const release = (lockedBy: string | null) =>
      chainOf((chain) =>
        chain.update(
          TalktoMessageEntity,
          { overallStatus: lockedBy === null ? 'unlocked-seen' : 'locked-seen' },
          {
            equal: { lockedBy, direction: 'incoming' },
            sql: (bind) => `message_id <> ${bind('none', 'messageId')}`,
          },
        ),
      );
    const counted = (attempts: SqlExpression, messageId: string) =>
      chainOf((chain) => chain.update(TalktoMessageEntity, { attempts }, { equal: { messageId } }));
    const onlyIf = (clause: string, messageId: string) =>
      chainOf((chain) =>
        chain.update(
          TalktoMessageEntity,
          { businessKey: clause },
          { equal: { messageId }, sql: (bind) => `${clause} ${bind(messageId, 'messageId')}` },
        ),
      );

    const outcomes = [];
    for (const { chain, step } of [
      release(null),
      release('w-2'),
      counted(INCREMENT, 'shape-1'),
      counted(new SqlExpression((column) => `${column} + 5`), 'shape-3'),
      onlyIf('message_id =', 'shape-1'),
      onlyIf('message_id <>', 'shape-1'),
    ]) {
      outcomes.push((await run(chain)).wrote(step));
    }

    expect(outcomes).toEqual([true, true, true, true, true, false]);
    const rows = await db.dataSource.manager.find(TalktoMessageEntity, {
      where: [{ messageId: 'shape-1' }, { messageId: 'shape-2' }, { messageId: 'shape-3' }],
      order: { messageId: 'ASC' },
    });
    expect(rows.map((row) => [row.messageId, row.overallStatus, row.attempts, row.businessKey])).toEqual([
      ['shape-1', 'unlocked-seen', 1, 'message_id ='],
      ['shape-2', 'locked-seen', 0, null],
      ['shape-3', 'unlocked-seen', 5, null],
    ]);
  });
});

function chainOf(add: (chain: RowChain) => ChainStep): { chain: RowChain; step: ChainStep } {
  const chain = new RowChain();
  return { chain, step: add(chain) };
}
