import { Redis } from 'ioredis';

/** Redis commands seen while some work ran: sent by clients (round trips) and run inside scripts. */
export interface RedisCommandCount {
  roundTrips: number;
  inScripts: number;
}

/**
 * Counts, through `MONITOR`, the Redis commands that name a key under one of `prefixes` while
 * `work` runs. MONITOR slows Redis down: never count inside a timed measurement.
 */
export async function countRedisCommands(
  url: string,
  prefixes: string[],
  work: () => Promise<unknown>,
): Promise<RedisCommandCount> {
  const count: RedisCommandCount = { roundTrips: 0, inScripts: 0 };
  const redis = new Redis(url);
  const monitor = await redis.monitor();
  // MONITOR reports asynchronously: a marker read after the work tells when its report is complete.
  const marker = `${prefixes[0]}:monitor-end-${process.pid}`;
  let seenMarker: () => void = () => undefined;
  const markerSeen = new Promise<void>((resolve) => (seenMarker = resolve));
  monitor.on('monitor', (_time: string, args: string[], source: string) => {
    if (args.includes(marker)) return seenMarker();
    if (!args.some((arg) => prefixes.some((prefix) => arg.startsWith(`${prefix}:`)))) return;
    if (source === 'lua') count.inScripts += 1;
    else count.roundTrips += 1;
  });
  try {
    await work();
    await redis.get(marker);
    await markerSeen;
  } finally {
    // Cut the socket first: a report that arrives after a plain disconnect fails ioredis's reply queue.
    monitor.stream.destroy();
    monitor.disconnect();
    redis.disconnect();
  }
  return count;
}
