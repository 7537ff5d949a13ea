/**
 * The Talkto pair the round-trip benches measure: `inventory` sends `bench.ping` to `website`,
 * whose handler counts; with callbacks on, the result goes back and is counted on `inventory`.
 * Both run `concurrency` send and handler workers (the default 4 would cap 16 in flight at 4)
 * and no per-source rate limiter (its 120/min would measure 429s).
 */
import type { Provider } from '@nestjs/common';
import { TalktoClient, type TalktoModuleOptions } from '../../lib/index.js';
import type { DatabaseKind, TestDatabase } from '../../test/support/databases.js';
import { CompletionCounter, PingHandler, PingResults } from './bench-handler.fixture.js';
import { BENCH_PAYLOAD, BENCH_SECRET, pool, withDeadline } from './roundtrip-run.util.js';
import { type BenchTalktoApp, startBenchTalktoApp } from './talkto-app.bench.js';

export interface PairSettings {
  callbacks: boolean;
  concurrency: number;
}

const workers = (settings: PairSettings) => ({
  sendConcurrency: settings.concurrency,
  processConcurrency: settings.concurrency,
});

export const RECEIVER_PROVIDERS: Provider[] = [CompletionCounter, PingHandler];

export function receiverOptions(
  settings: PairSettings,
  queue: TalktoModuleOptions['queue'],
  senderUrl: string,
): TalktoModuleOptions {
  return {
    service: 'website',
    queue,
    workers: workers(settings),
    incoming: { inventory: { secret: BENCH_SECRET, allowedCommands: { 'bench.ping': {} } } },
    rateLimit: { enabled: false },
    // The naive pair sends no result back; callbacks are a second signed message per command.
    callbacks: { enabled: settings.callbacks },
    outgoing: settings.callbacks ? { inventory: { baseUrl: senderUrl, secret: BENCH_SECRET } } : undefined,
  };
}

export function startBenchSender(
  settings: PairSettings,
  database: DatabaseKind | TestDatabase,
  port: number,
  queue: TalktoModuleOptions['queue'],
  receiverUrl: string,
): Promise<BenchTalktoApp> {
  return startBenchTalktoApp(
    database,
    port,
    {
      service: 'inventory',
      queue,
      workers: workers(settings),
      outgoing: { website: { baseUrl: receiverUrl, secret: BENCH_SECRET } },
      incoming: settings.callbacks
        ? { website: { secret: BENCH_SECRET, allowedCommands: { 'talkto.result': { driver: 'none' } } } }
        : undefined,
      rateLimit: { enabled: false },
    },
    settings.callbacks ? [CompletionCounter, PingResults] : [],
  );
}

/**
 * A measurement of the pair: `count` sends, `concurrency` in flight, until every handler has run
 * (every result is applied, with callbacks); returns msg/s.
 */
export function talktoRoundTrip(
  settings: PairSettings,
  sender: BenchTalktoApp,
  receiver: BenchTalktoApp,
): (count: number) => Promise<number> {
  const client = sender.app.get(TalktoClient);
  const done = (settings.callbacks ? sender : receiver).app.get(CompletionCounter);
  return async (count) => {
    const finished = done.expect(count);
    const start = performance.now();
    await pool(count, settings.concurrency, () => client.send('website', 'bench.ping', BENCH_PAYLOAD));
    await withDeadline(finished, `${count} ${settings.callbacks ? 'applied results' : 'handler runs'}`);
    return count / ((performance.now() - start) / 1000);
  };
}
