import type { RedisOptions } from 'ioredis';
import type { TalktoRedisConnection } from './interfaces/talkto-queue-options.interface.js';

/**
 * Talkto's own Redis as ioredis options. The command client retries a queued command for minutes
 * while Redis is away; one retry is enough for us: a dispatch that cannot reach Redis should fail
 * so the caller leaves the row to the sweeper, and commands must not pile up in memory during an
 * outage. Bull and BullMQ force their blocking connections back to unlimited retries, as they
 * require. A host's own connection (`BullModule.forRoot`) is used as the host configured it.
 */
export function failFastRedisOptions(redis: TalktoRedisConnection): RedisOptions {
  const options = typeof redis === 'string' ? redisUrlToOptions(redis) : redis;
  return { maxRetriesPerRequest: 1, ...options };
}

function redisUrlToOptions(url: string): RedisOptions {
  const parsed = new URL(url);
  const db = parsed.pathname.replace(/^\//, '');
  return {
    host: parsed.hostname || '127.0.0.1',
    port: parsed.port ? Number(parsed.port) : 6379,
    ...(parsed.username ? { username: decodeURIComponent(parsed.username) } : {}),
    ...(parsed.password ? { password: decodeURIComponent(parsed.password) } : {}),
    ...(db ? { db: Number(db) } : {}),
    ...(parsed.protocol === 'rediss:' ? { tls: {} } : {}),
  };
}
