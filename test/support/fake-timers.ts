import { jest } from '@jest/globals';

/**
 * Runs `work` under the fake timers vitest installs by default, as a host's test would: every timer
 * and `Date` faked, `process.nextTick` and `queueMicrotask` left real (node-postgres' pool hands out
 * connections on them). `keepDate` leaves `Date` real too, for a DataSource Talkto did not set up
 * (its `type: Date` columns compare with the global).
 */
export async function underFakeTimers<T>(
  work: () => Promise<T>,
  options: { now?: Date; keepDate?: boolean } = {},
): Promise<T> {
  jest.useFakeTimers({
    doNotFake: options.keepDate ? ['nextTick', 'queueMicrotask', 'Date'] : ['nextTick', 'queueMicrotask'],
    now: options.now,
  });
  try {
    return await work();
  } finally {
    jest.useRealTimers();
  }
}
