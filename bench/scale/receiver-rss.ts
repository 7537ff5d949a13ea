/**
 * Receiver RSS under a long stream of commands: a receiver in a child process (its RSS is its
 * own) takes `count` pre-signed `bench.ping` requests, `concurrency` in flight, and runs their
 * handler; at every `step` messages, once every handler has run, its memory is sampled as it is and
 * after a full garbage collection. The figure is RSS after `count` ÷ RSS after `step`.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../test/support/free-port.js';
import { deleteRedisKeys, pool, post, presigned, withDeadline } from '../roundtrip/roundtrip-run.util.js';
import type { FromReceiver, ToReceiver } from './rss-receiver.child.js';
import { createScaleDatabase } from './scale-database.util.js';

export interface RssSample {
  messages: number;
  rss: number;
  rssAfterGc: number;
  /** V8's heap as reserved and as used, after gc: RSS beyond them is native memory. */
  heapTotalAfterGc: number;
  heapAfterGc: number;
  externalAfterGc: number;
}

/** Requests are signed this many at a time, just before they are sent (their timestamps stay fresh). */
const BATCH = 1000;

class Receiver {
  private readonly waiting: Array<(message: FromReceiver) => void> = [];

  constructor(readonly child: ChildProcess) {
    child.on('message', (message: FromReceiver) => this.waiting.shift()?.(message));
  }

  ask<K extends FromReceiver['kind']>(
    question: ToReceiver | null,
    kind: K,
  ): Promise<Extract<FromReceiver, { kind: K }>> {
    return withDeadline(
      new Promise((resolve, reject) => {
        this.waiting.push((message) =>
          message.kind === kind
            ? resolve(message as Extract<FromReceiver, { kind: K }>)
            : reject(new Error(`receiver answered ${message.kind}, expected ${kind}`)),
        );
        if (question !== null) this.child.send(question);
      }),
      `the receiver's ${kind}`,
    );
  }

  async handled(target: number): Promise<void> {
    const deadline = Date.now() + 300_000;
    while ((await this.ask({ kind: 'count' }, 'count')).handled < target) {
      if (Date.now() > deadline) throw new Error(`receiver handled fewer than ${target} in time`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

export async function measureReceiverRss(options: {
  count: number;
  step: number;
  concurrency: number;
}): Promise<RssSample[]> {
  const database = await createScaleDatabase('rss');
  const prefix = `scale-rss-${randomBytes(4).toString('hex')}`;
  const port = await freePort();
  const child = fork(fileURLToPath(new URL('./rss-receiver.child.ts', import.meta.url)), {
    execArgv: ['--expose-gc', '--import', '@swc-node/register/esm-register'],
    env: {
      ...process.env,
      SCALE_RSS_RECEIVER: JSON.stringify({
        port,
        database: database.options,
        prefix,
        concurrency: options.concurrency,
      }),
    },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const receiver = new Receiver(child);
  try {
    const { url } = await receiver.ask(null, 'ready');
    const receiveUrl = `${url}/api/talkto/receive`;
    const samples: RssSample[] = [];
    for (let sent = 0; sent < options.count;) {
      const size = Math.min(BATCH, options.count - sent);
      const requests = presigned(size);
      await pool(size, options.concurrency, (i) => post(receiveUrl, requests[i], 202));
      sent += size;
      if (sent % options.step === 0 || sent === options.count) {
        await receiver.handled(sent);
        const plain = await receiver.ask({ kind: 'sample', gc: false, label: `${sent}` }, 'sample');
        const collected = await receiver.ask({ kind: 'sample', gc: true, label: `${sent}-gc` }, 'sample');
        const sample = {
          messages: sent,
          rss: plain.rss,
          rssAfterGc: collected.rss,
          heapTotalAfterGc: collected.heapTotal,
          heapAfterGc: collected.heapUsed,
          externalAfterGc: collected.external,
        };
        samples.push(sample);
        console.log(
          `  ${sent} messages: RSS ${mb(sample.rss)}, after gc ${mb(sample.rssAfterGc)} (heap ${mb(sample.heapAfterGc)} of ${mb(sample.heapTotalAfterGc)}, external ${mb(sample.externalAfterGc)})`,
        );
      }
    }
    return samples;
  } finally {
    if (child.exitCode === null) {
      child.send({ kind: 'stop' } satisfies ToReceiver);
      await withDeadline(exited, 'the receiver to stop', 30_000).catch(() => child.kill());
    }
    await database.drop();
    await deleteRedisKeys([prefix]);
  }
}

export const mb = (bytes: number) => `${(bytes / 1048576).toFixed(1)} MB`;
