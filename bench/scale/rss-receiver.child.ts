/**
 * The receiver of the RSS measurement, alone in its process so its RSS is its own: a Talkto app on
 * PostgreSQL + Bull that takes `bench.ping` commands and runs their handler. The parent asks over
 * IPC for the number of handler runs and for memory samples (after `global.gc()` when asked and
 * exposed; `HEAP_SNAPSHOTS=dir` also writes a heap snapshot per sample).
 */
import { join } from 'node:path';
import { writeHeapSnapshot } from 'node:v8';
import type { TestDatabase } from '../../test/support/databases.js';
import { CompletionCounter, PingHandler } from '../roundtrip/bench-handler.fixture.js';
import { BENCH_SECRET, REDIS_URL } from '../roundtrip/roundtrip-run.util.js';
import { startBenchTalktoApp } from '../roundtrip/talkto-app.bench.js';

export type ToReceiver =
  { kind: 'count' } | { kind: 'sample'; gc: boolean; label: string } | { kind: 'stop' };
export type FromReceiver =
  | { kind: 'ready'; url: string }
  | { kind: 'count'; handled: number }
  | { kind: 'sample'; rss: number; heapTotal: number; heapUsed: number; external: number };

const env = JSON.parse(process.env.SCALE_RSS_RECEIVER ?? '{}') as {
  port: number;
  database: TestDatabase['options'];
  prefix: string;
  concurrency: number;
};

const app = await startBenchTalktoApp(
  { options: env.database, drop: async () => {} },
  env.port,
  {
    service: 'website',
    queue: { driver: 'bull', redis: REDIS_URL, prefix: env.prefix },
    workers: { sendConcurrency: env.concurrency, processConcurrency: env.concurrency },
    incoming: { inventory: { secret: BENCH_SECRET, allowedCommands: { 'bench.ping': {} } } },
    rateLimit: { enabled: false },
    callbacks: { enabled: false },
  },
  [CompletionCounter, PingHandler],
);
const counter = app.app.get(CompletionCounter);

const send = (message: FromReceiver) => process.send!(message);

process.on('message', (message: ToReceiver) => {
  if (message.kind === 'count') {
    send({ kind: 'count', handled: counter.completed });
  } else if (message.kind === 'sample') {
    const gc = (globalThis as { gc?: () => void }).gc;
    if (message.gc && gc) {
      gc();
      gc();
    }
    if (process.env.HEAP_SNAPSHOTS) {
      writeHeapSnapshot(join(process.env.HEAP_SNAPSHOTS, `receiver-${message.label}.heapsnapshot`));
    }
    const usage = process.memoryUsage();
    send({
      kind: 'sample',
      rss: usage.rss,
      heapTotal: usage.heapTotal,
      heapUsed: usage.heapUsed,
      external: usage.external,
    });
  } else {
    void app.close().then(() => process.exit(0));
  }
});
send({ kind: 'ready', url: app.url });
