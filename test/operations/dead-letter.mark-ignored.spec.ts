import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { DeadLetterService } from '../../lib/index.js';
import {
  type DeadLetterStatus,
  TalktoDeadLetterEntity,
} from '../../lib/persistence/entities/dead-letter.entity.js';
import { TalktoMessageEntity } from '../../lib/persistence/entities/message.entity.js';
import { TalktoDispatcher } from '../../lib/queue/talkto.dispatcher.js';
import { type ReliabilityContext, startReliabilityContext } from '../retry/reliability-context.js';
import { DATABASE_KINDS } from '../support/databases.js';
import { seedDeadLetter, seedMessage } from './operations-fixtures.js';

let counter = 0;
const nextId = () => `ignore-${process.pid}-${++counter}`;

describe.each(DATABASE_KINDS)('DeadLetterService.markIgnored on %s (BEHAVIOR §9.3)', (kind) => {
  let context: ReliabilityContext;
  let deadLetters: DeadLetterService;
  let dispatched: jest.SpiedFunction<TalktoDispatcher['dispatch']>;

  beforeAll(async () => {
    context = await startReliabilityContext(kind);
    deadLetters = context.module.get(DeadLetterService);
    dispatched = jest.spyOn(context.module.get(TalktoDispatcher), 'dispatch');
  });

  afterAll(async () => {
    await context?.close();
  });

  async function letter(status: DeadLetterStatus) {
    const message = await seedMessage(context.dataSource, {
      messageId: nextId(),
      sourceService: 'billing',
      targetService: 'ledger',
      overallStatus: 'failed_final',
    });
    return { message, deadLetter: await seedDeadLetter(context.dataSource, message, { status }) };
  }
  const reloadLetter = (id: number) =>
    context.dataSource.manager.findOneByOrFail(TalktoDeadLetterEntity, { id });

  it('closes an open, failed or reprocessed letter and leaves its message alone', async () => {
    for (const status of ['open', 'failed_reprocess', 'reprocessed'] as const) {
      const { message, deadLetter } = await letter(status);
      const before = await context.dataSource.manager.findOneByOrFail(TalktoMessageEntity, {
        id: message.id,
      });
      context.clock.advance(1000);

      expect(await deadLetters.markIgnored(deadLetter.id)).toBe(true);

      const after = await reloadLetter(deadLetter.id);
      expect(after.status).toBe('ignored');
      expect(after.updatedAt).toEqual(context.clock.now());
      expect(after.reprocessCount).toBe(deadLetter.reprocessCount);
      expect(
        await context.dataSource.manager.findOneByOrFail(TalktoMessageEntity, { id: message.id }),
      ).toEqual(before);
    }
  });

  it('refuses a letter being reprocessed, one already ignored, and an unknown id', async () => {
    const { deadLetter: running } = await letter('reprocessing');
    const { deadLetter: ignored } = await letter('ignored');

    expect(await deadLetters.markIgnored(running.id)).toBe(false);
    expect(await deadLetters.markIgnored(ignored.id)).toBe(false);
    expect(await deadLetters.markIgnored(987_654_321)).toBe(false);
    expect((await reloadLetter(running.id)).status).toBe('reprocessing');
  });

  it('takes an ignored letter out of the reprocess scan and never dispatches', async () => {
    const { deadLetter } = await letter('open');
    dispatched.mockClear();

    await deadLetters.markIgnored(deadLetter.id);
    const summary = await deadLetters.reprocess({ ids: [deadLetter.id] });

    expect(summary).toMatchObject({ scanned: 0, dispatched: 0 });
    expect(dispatched).not.toHaveBeenCalled();
    expect(deadLetters.canReprocess(await reloadLetter(deadLetter.id))).toBe(false);
  });
});
