import { describe, expect, it } from '@jest/globals';
import { BullQueueDriver } from '../../lib/queue/bull.driver.js';
import { TalktoQueueUsageError } from '../../lib/queue/errors/queue-usage.error.js';
import { InProcessQueueDriver } from '../../lib/queue/in-process.driver.js';
import type { TalktoQueueOptions } from '../../lib/queue/interfaces/talkto-queue-options.interface.js';
import { createTalktoQueueDriver } from '../../lib/queue/queue-driver.factory.js';
import { REDIS, RecordingLogger, deleteKeysWithPrefix, uniquePrefix } from './queue-test.helpers.js';

describe('createTalktoQueueDriver', () => {
  it('runs in-process when no driver is configured', async () => {
    const driver = await createTalktoQueueDriver(undefined, new RecordingLogger());

    expect(driver).toBeInstanceOf(InProcessQueueDriver);
    await driver.close();
  });

  it('builds the Bull driver with the given Redis and prefix', async () => {
    const prefix = uniquePrefix();
    const driver = await createTalktoQueueDriver(
      { driver: 'bull', redis: REDIS, prefix },
      new RecordingLogger(),
    );
    try {
      expect(driver).toBeInstanceOf(BullQueueDriver);
      await driver.dispatch('send', 1);
      expect(await driver.depth('send')).toBe(1);
    } finally {
      await driver.close();
      await deleteKeysWithPrefix(prefix);
    }
  });

  it('names the key at fault for a Bull driver without Redis or an unknown driver', async () => {
    await expect(createTalktoQueueDriver({ driver: 'bull' } as TalktoQueueOptions)).rejects.toThrow(
      expect.objectContaining({ field: 'queue.redis' }),
    );
    await expect(
      createTalktoQueueDriver({ driver: 'rabbit' } as unknown as TalktoQueueOptions),
    ).rejects.toThrow(TalktoQueueUsageError);
  });
});
