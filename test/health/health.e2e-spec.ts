import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Controller, Get } from '@nestjs/common';
import { HealthCheck, HealthCheckService, TerminusModule } from '@nestjs/terminus';
import { TalktoHealthIndicator } from '../../lib/index.js';
import { TalktoMessageEntity } from '../../lib/persistence/entities/message.entity.js';
import { ORDER_PROVIDERS } from '../e2e/fixtures/order-handlers.js';
import { freePort } from '../support/free-port.js';
import { postInventoryCommand } from '../support/signed-request.js';
import { type RunningTalktoApp, startTalktoApp } from '../support/talkto-app.js';
import { waitFor } from '../support/wait-for.js';

const SECRET = 'inventory-to-website-secret-0123456789';

/** What a host writes: terminus' check with the Talkto indicator. */
@Controller('health')
class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly talkto: TalktoHealthIndicator,
  ) {}

  @Get()
  @HealthCheck()
  check() {
    return this.health.check([() => this.talkto.isHealthy('talkto')]);
  }
}

interface HealthBody {
  status: 'ok' | 'error';
  details: { talkto: Record<string, unknown> };
}

async function health(app: RunningTalktoApp): Promise<{ status: number; body: HealthBody }> {
  const response = await fetch(`${app.url}/health`);
  return { status: response.status, body: (await response.json()) as HealthBody };
}

async function deadLetter(app: RunningTalktoApp): Promise<void> {
  const sent = await postInventoryCommand(app.url, SECRET, 'orders.reject');
  expect(sent.status).toBe(202);
  const rows = app.dataSource.getRepository(TalktoMessageEntity);
  await waitFor(
    async () => (await rows.findOneBy({ messageId: sent.messageId }))?.overallStatus === 'failed_final',
    'the rejected command',
  );
}

describe.each([
  ['postgres', 'in-process'],
  ['mariadb', 'bull'],
] as const)('/health with terminus and TalktoHealthIndicator on %s with the %s queue', (database, queue) => {
  let strict: RunningTalktoApp;
  let lenient: RunningTalktoApp;

  const start = async (health: Record<string, number>) =>
    startTalktoApp({
      database,
      queue,
      adapter: 'express',
      port: await freePort(),
      providers: ORDER_PROVIDERS,
      imports: [TerminusModule],
      controllers: [HealthController],
      talkto: {
        service: 'website',
        callbacks: { enabled: false },
        // The rows these cases stage by hand must stay as staged until the indicator counts them.
        sweeper: { enabled: false },
        health,
        incoming: { inventory: { secret: SECRET, allowedCommands: ['orders.reserve', 'orders.reject'] } },
      },
    });

  beforeAll(async () => {
    strict = await start({});
    lenient = await start({ maxOpenDeadLetters: 1, maxStaleClaims: 1 });
  });

  afterAll(async () => {
    await strict?.close();
    await lenient?.close();
  });

  it('is up with the database (and Redis) answering and nothing waiting', async () => {
    const { status, body } = await health(strict);
    expect(status).toBe(200);
    expect(body.status).toBe('ok');
    expect(body.details.talkto).toEqual({
      status: 'up',
      database: 'up',
      ...(queue === 'bull' ? { redis: 'up' } : {}),
      stale_claims: 0,
      open_dead_letters: 0,
      due_retries: 0,
    });
  });

  it("stays up after a handler's final failure, listing the dead letter under attention", async () => {
    await deadLetter(strict);
    const { status, body } = await health(strict);
    expect(status).toBe(200);
    expect(body.status).toBe('ok');
    expect(body.details.talkto).toEqual({
      status: 'up',
      database: 'up',
      ...(queue === 'bull' ? { redis: 'up' } : {}),
      stale_claims: 0,
      open_dead_letters: 1,
      due_retries: 0,
      attention: ['open_dead_letters=1'],
    });
  });

  it('stays up while the counts are within a raised threshold', async () => {
    await deadLetter(lenient);
    const { status, body } = await health(lenient);
    expect(status).toBe(200);
    expect(body.details.talkto).toMatchObject({ status: 'up', open_dead_letters: 1 });
  });

  it('counts a handler run whose claim lease ran out as a stale claim', async () => {
    // A worker that died mid-run leaves the row `processing` with an expired lease.
    const rows = lenient.dataSource.getRepository(TalktoMessageEntity);
    const row = await rows.findOneByOrFail({ direction: 'incoming' });
    await rows.update(
      { id: row.id },
      { overallStatus: 'processing', lockedBy: 'worker-gone', lockedUntil: new Date(Date.now() - 60_000) },
    );
    const one = await health(lenient);
    expect(one.status).toBe(200);
    expect(one.body.details.talkto).toMatchObject({ stale_claims: 1 });

    await deadLetter(lenient);
    const rejected = await rows.findOneByOrFail({ overallStatus: 'failed_final' });
    await rows.update(
      { id: rejected.id },
      { overallStatus: 'processing', lockedBy: 'worker-gone', lockedUntil: new Date(Date.now() - 60_000) },
    );
    const { status, body } = await health(lenient);
    expect(status).toBe(503);
    expect(body.details.talkto).toMatchObject({
      status: 'down',
      stale_claims: 2,
      open_dead_letters: 2,
      problems: ['stale_claims=2', 'open_dead_letters=2'],
    });
  });
});
