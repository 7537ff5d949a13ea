import { Inject, Injectable } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { TalktoClock } from '../clock/talkto.clock.js';
import type { ResolvedTalktoOptions } from '../config/resolved-options.interface.js';
import type { TalktoModuleOptions } from '../interfaces/talkto-module-options.interface.js';
import { TalktoBacklogReader } from '../metrics/talkto-backlog.reader.js';
import { TALKTO_QUEUE_DRIVER } from '../queue/queue.constants.js';
import type { TalktoQueueDriver } from '../queue/talkto-queue.port.js';
import { TALKTO_DATA_SOURCE, TALKTO_MODULE_OPTIONS, TALKTO_RESOLVED_OPTIONS } from '../talkto.constants.js';

/**
 * The shape `@nestjs/terminus` expects from an indicator (`HealthIndicatorResult`), written out
 * so terminus stays an optional peer: a `down` status fails the health check with 503.
 */
export type TalktoHealthResult<Key extends string = string> = Record<
  Key,
  { status: 'up' | 'down' } & Record<string, unknown>
>;

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/**
 * A terminus health indicator for Talkto: `health.check([() => talkto.isHealthy('talkto')])`.
 * Down (`problems`) only for what the service cannot get past on its own: the database or Redis
 * not answering, claims left behind by dead workers, retries the sweeper is not getting to. Open
 * dead letters are outcomes someone should look at (`attention`), often a handler's own
 * `finalFailure`: they make it down only once `health.maxOpenDeadLetters` is set and exceeded.
 */
@Injectable()
export class TalktoHealthIndicator {
  constructor(
    @Inject(TALKTO_DATA_SOURCE) private readonly dataSource: DataSource,
    @Inject(TALKTO_QUEUE_DRIVER) private readonly queue: TalktoQueueDriver,
    @Inject(TALKTO_RESOLVED_OPTIONS) private readonly resolved: ResolvedTalktoOptions,
    @Inject(TALKTO_MODULE_OPTIONS) private readonly options: TalktoModuleOptions,
    private readonly backlog: TalktoBacklogReader,
    private readonly clock: TalktoClock,
  ) {}

  async isHealthy<Key extends string>(key: Key): Promise<TalktoHealthResult<Key>> {
    const settings = this.options.health ?? {};
    const pingMs = settings.pingTimeoutMs ?? 2000;
    const problems: string[] = [];
    const attention: string[] = [];
    const details: Record<string, unknown> = {};

    details.database = await this.probe(() => this.dataSource.query('SELECT 1'), pingMs);
    if (this.resolved.queue.driver !== 'in-process') {
      // Counting jobs is a Redis round trip; an unreachable Redis rejects or times out.
      details.redis = await this.probe(() => this.queue.depth('send'), pingMs);
    }
    for (const [name, state] of [
      ['database', details.database],
      ['redis', details.redis],
    ]) {
      if (state !== undefined && state !== 'up') problems.push(`${name}_unreachable`);
    }

    if (details.database === 'up') {
      const now = this.clock.now();
      const graceMs = (settings.dueRetryGraceMinutes ?? 5) * 60_000;
      const counts = {
        stale_claims: await this.backlog.countStaleClaims(now),
        open_dead_letters: await this.backlog.countOpenDeadLetters(),
        due_retries: await this.backlog.countDueRetries(new Date(now.getTime() - graceMs)),
      };
      const limits = {
        stale_claims: settings.maxStaleClaims ?? 0,
        open_dead_letters: settings.maxOpenDeadLetters ?? Infinity,
        due_retries: settings.maxDueRetries ?? 0,
      };
      for (const name of Object.keys(counts) as Array<keyof typeof counts>) {
        details[name] = counts[name];
        if (counts[name] > limits[name]) problems.push(`${name}=${counts[name]}`);
        else if (counts[name] > 0) attention.push(`${name}=${counts[name]}`);
      }
    }

    const status = problems.length === 0 ? 'up' : 'down';
    return {
      [key]: {
        status,
        ...details,
        ...(problems.length ? { problems } : {}),
        ...(attention.length ? { attention } : {}),
      },
    } as TalktoHealthResult<Key>;
  }

  private async probe(ping: () => Promise<unknown>, ms: number): Promise<string> {
    try {
      await withTimeout(ping(), ms);
      return 'up';
    } catch {
      return 'down'; // the error text may name hosts or users: not for a public probe
    }
  }
}
