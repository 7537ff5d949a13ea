/**
 * `PROFILE=<dir>`: a V8 CPU profile of Talkto's own measurements only, so a profile of the round
 * trip is not half the baselines beside it. Open the `.cpuprofile` in Chrome DevTools or speedscope.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { join } from 'node:path';

const DIRECTORY = process.env.PROFILE;

/** Runs `work` under the profiler when `PROFILE` is set: one profile file per call. */
export function profiled<A extends unknown[], R>(name: string, work: (...args: A) => Promise<R>) {
  if (!DIRECTORY) return work;
  let session: Session | undefined;
  return async (...args: A): Promise<R> => {
    if (!session) {
      session = new Session();
      session.connect();
      await session.post('Profiler.enable');
      await session.post('Profiler.setSamplingInterval', { interval: 500 });
    }
    await session.post('Profiler.start');
    try {
      return await work(...args);
    } finally {
      const { profile } = await session.post('Profiler.stop');
      mkdirSync(DIRECTORY, { recursive: true });
      const file = join(DIRECTORY, `${name}-${process.pid}-${Date.now()}.cpuprofile`);
      writeFileSync(file, JSON.stringify(profile));
    }
  };
}
