import { connect } from 'node:net';
import { Redis } from 'ioredis';

/** Redis commands seen while some work ran: sent by clients (round trips) and run inside scripts. */
export interface RedisCommandCount {
  roundTrips: number;
  inScripts: number;
}

/**
 * Counts, through `MONITOR`, the Redis commands that name a key under one of `prefixes` while
 * `work` runs. MONITOR slows Redis down: never count inside a timed measurement. The monitor is a
 * plain socket (each report is one `+<time> [<db> <source>] "<command>" "<arg>"…` line): ioredis
 * takes reports that arrive as it disconnects for replies it never asked for, and fails.
 */
export async function countRedisCommands(
  url: string,
  prefixes: string[],
  work: () => Promise<unknown>,
): Promise<RedisCommandCount> {
  const count: RedisCommandCount = { roundTrips: 0, inScripts: 0 };
  const { hostname, port } = new URL(url);
  const socket = connect(Number(port || 6379), hostname);
  // MONITOR reports asynchronously: a marker read after the work tells when its report is complete.
  const marker = `${prefixes[0]}:monitor-end-${process.pid}`;
  let seenMarker: () => void = () => undefined;
  const markerSeen = new Promise<void>((resolve) => (seenMarker = resolve));
  let started: () => void = () => undefined;
  const monitoring = new Promise<void>((resolve) => (started = resolve));
  let pending = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    const lines = (pending + chunk).split('\r\n');
    pending = lines.pop() ?? '';
    for (const line of lines) {
      if (line === '+OK') started();
      else if (line.includes(`"${marker}"`)) seenMarker();
      else if (prefixes.some((prefix) => line.includes(` "${prefix}:`))) {
        if (/^\+\S+ \[\d+ lua\]/.test(line)) count.inScripts += 1;
        else count.roundTrips += 1;
      }
    }
  });
  socket.write('MONITOR\r\n');
  await monitoring;
  const redis = new Redis(url);
  try {
    await work();
    await redis.get(marker);
    await markerSeen;
  } finally {
    socket.destroy();
    redis.disconnect();
  }
  return count;
}
