import { afterEach, describe, expect, it } from '@jest/globals';
import { Injectable } from '@nestjs/common';
import { Cron, ScheduleModule, SchedulerRegistry } from '@nestjs/schedule';
import { LoopbackTalktoTransport, TALKTO_SWEEPER_INTERVAL, TalktoSweeper } from '../../lib/index.js';
import { TalktoTransport } from '../../lib/outgoing/talkto.transport.js';
import { TalktoMessageEntity } from '../../lib/persistence/entities/message.entity.js';
import { freezePayload } from '../../lib/protocol/json/payload-freezer.js';
import { freePort } from '../support/free-port.js';
import { ledgersOf } from '../support/ledgers.js';
import { type RunningTalktoApp, startTalktoApp } from '../support/talkto-app.js';
import { waitFor } from '../support/wait-for.js';

/** A host job that notes the wall-clock second of each run. */
@Injectable()
class HostHeartbeat {
  readonly seconds: number[] = [];

  @Cron('* * * * * *')
  beat(): void {
    this.seconds.push(Math.floor(Date.now() / 1000));
  }
}

async function bootHost(withSchedule: boolean): Promise<RunningTalktoApp> {
  return startTalktoApp({
    database: 'sqlite',
    queue: 'in-process',
    adapter: 'express',
    port: await freePort(),
    imports: withSchedule ? [ScheduleModule.forRoot()] : [],
    providers: [HostHeartbeat],
    talkto: {
      service: 'shop',
      transport: 'loopback',
      sweeper: { intervalMs: 100, graceMs: 0 },
      outgoing: { billing: { baseUrl: 'http://billing.invalid', secret: 'sweeper-schedule-secret-0123' } },
    },
  });
}

/** A committed outgoing row that was never queued: only a sweep delivers it. */
async function writeOrphan(app: RunningTalktoApp, messageId: string): Promise<void> {
  const frozen = freezePayload({ total: 1 });
  await app.dataSource.transaction((manager) =>
    ledgersOf(app.app).outbox.createOutgoing(
      {
        messageId,
        source: 'shop',
        target: 'billing',
        command: 'invoice.create',
        payload: frozen.json,
        payloadHash: frozen.hash,
        maxAttempts: 5,
      },
      manager,
    ),
  );
}

async function delivered(app: RunningTalktoApp, messageId: string): Promise<boolean> {
  const row = await app.dataSource.manager.findOneBy(TalktoMessageEntity, { messageId });
  return row?.transportStatus === 'sent';
}

describe('the sweeper on the host scheduler', () => {
  let host: RunningTalktoApp | undefined;

  afterEach(async () => {
    await host?.close();
    host = undefined;
  });

  it('is the interval talkto-sweeper in the host SchedulerRegistry and sweeps from there', async () => {
    host = await bootHost(true);
    const registry = host.app.get(SchedulerRegistry);
    expect(registry.getIntervals()).toEqual([TALKTO_SWEEPER_INTERVAL]);

    await writeOrphan(host, 'orphan-scheduled');
    await waitFor(() => delivered(host!, 'orphan-scheduled'), 'the registered sweep to deliver the row');
  });

  it('stops when the host deletes the interval and sweeps again when the host adds its own', async () => {
    host = await bootHost(true);
    const registry = host.app.get(SchedulerRegistry);
    registry.deleteInterval(TALKTO_SWEEPER_INTERVAL);
    await writeOrphan(host, 'orphan-stopped');
    // Absence of a sweep can only be shown over a window: several sweep intervals pass here.
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(await delivered(host, 'orphan-stopped')).toBe(false);

    const sweeper = host.app.get(TalktoSweeper);
    const restarted = setInterval(() => void sweeper.sweep(), 100);
    registry.addInterval(TALKTO_SWEEPER_INTERVAL, restarted);
    await waitFor(() => delivered(host!, 'orphan-stopped'), 'the host-driven sweep to deliver the row');
    expect(
      (host.app.get(TalktoTransport, { strict: false }) as LoopbackTalktoTransport).sent.filter(
        (request) => request.envelope.message_id === 'orphan-stopped',
      ),
    ).toHaveLength(1);
  });

  it('leaves the host cron jobs mounted once: one run per tick', async () => {
    host = await bootHost(true);
    const heartbeat = host.app.get(HostHeartbeat);
    expect(host.app.get(SchedulerRegistry).getCronJobs().size).toBe(1);

    await waitFor(() => heartbeat.seconds.length >= 3, 'three host cron runs');
    expect(new Set(heartbeat.seconds).size).toBe(heartbeat.seconds.length);
  });

  it('runs on its own timer when the host has no ScheduleModule', async () => {
    host = await bootHost(false);
    await writeOrphan(host, 'orphan-timer');
    await waitFor(() => delivered(host!, 'orphan-timer'), 'the timer sweep to deliver the row');
  });
});
