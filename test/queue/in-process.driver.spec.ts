import { describe, expect, it } from '@jest/globals';
import { TalktoQueueUsageError } from '../../lib/queue/errors/queue-usage.error.js';
import { InProcessQueueDriver } from '../../lib/queue/in-process.driver.js';
import { RecordingLogger } from './queue-test.helpers.js';

describe('InProcessQueueDriver', () => {
  it('drains jobs that handlers dispatch to other queues', async () => {
    const driver = new InProcessQueueDriver({}, new RecordingLogger());
    const callbacks: number[] = [];
    driver.process('process', async (id) => driver.dispatch('callback', id + 100), 1);
    driver.process('callback', async (id) => void callbacks.push(id), 1);
    await driver.start();

    await driver.dispatch('process', 1);
    await driver.dispatch('process', 2);
    await driver.drain();

    expect(callbacks).toEqual([101, 102]);
    await driver.close();
  });

  it('does not wait for delayed jobs that are not yet due when draining', async () => {
    const driver = new InProcessQueueDriver({}, new RecordingLogger());
    const handled: number[] = [];
    driver.process('send', async (id) => void handled.push(id), 1);
    await driver.start();
    await driver.dispatch('send', 1, { delayMs: 60_000 });

    await driver.drain();

    expect(handled).toEqual([]);
    expect(await driver.depth('send')).toBe(1);
    await driver.close();
    expect(await driver.depth('send')).toBe(0);
  });

  it('refuses to drain jobs that nothing will run instead of hanging', async () => {
    const driver = new InProcessQueueDriver({}, new RecordingLogger());
    await driver.dispatch('send', 1);

    await expect(driver.drain()).rejects.toBeInstanceOf(TalktoQueueUsageError);
    await driver.start();
    await expect(driver.drain()).rejects.toThrow('send queue');
    await driver.close();
  });

  it('drops a job dispatched after stop and says the sweeper will recover it', async () => {
    const logger = new RecordingLogger();
    const driver = new InProcessQueueDriver({}, logger);
    const handled: number[] = [];
    driver.process('send', async (id) => void handled.push(id), 1);
    await driver.start();
    await driver.dispatch('send', 1, { delayMs: 60_000 });
    await driver.stop();

    await driver.dispatch('send', 2);

    expect(await driver.depth('send')).toBe(0);
    expect(handled).toEqual([]);
    expect(logger.warnings.join('\n')).toContain('sweeper');
    expect(logger.warnings.join('\n')).toContain('message 2 dropped');
  });

  it('refuses a second handler for one queue and a concurrency below one', () => {
    const driver = new InProcessQueueDriver({}, new RecordingLogger());
    driver.process('send', async () => undefined, 1);

    expect(() => driver.process('send', async () => undefined, 1)).toThrow(TalktoQueueUsageError);
    expect(() => driver.process('process', async () => undefined, 0)).toThrow(
      expect.objectContaining({ field: 'concurrency' }),
    );
  });

  it('survives a handler that throws synchronously', async () => {
    const logger = new RecordingLogger();
    const driver = new InProcessQueueDriver({}, logger);
    const handled: number[] = [];
    driver.process(
      'send',
      (id) => {
        if (id === 1) {
          throw new Error('thrown before any promise');
        }
        handled.push(id);
        return Promise.resolve();
      },
      1,
    );
    await driver.start();
    await driver.dispatch('send', 1);
    await driver.dispatch('send', 2);
    await driver.drain();

    expect(handled).toEqual([2]);
    expect(logger.errors[0].message).toContain('thrown before any promise');
    await driver.close();
  });
});
