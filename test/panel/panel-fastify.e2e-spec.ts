import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from '@jest/globals';
import { ReceiveService } from '../../lib/incoming/receive.service.js';
import { freezePayload } from '../../lib/protocol/json/payload-freezer.js';
import { buildOutgoingRequest } from '../../lib/protocol/outgoing-request.builder.js';
import { formatTalktoTimestamp } from '../../lib/protocol/talkto.timestamp.js';
import { TalktoMessageEntity } from '../../lib/persistence/entities/message.entity.js';
import { freePort } from '../support/free-port.js';
import { postSigned } from '../support/signed-request.js';
import { type RunningTalktoApp, startTalktoApp } from '../support/talkto-app.js';
import { waitFor } from '../support/wait-for.js';
import {
  PANEL_PROVIDERS,
  PANEL_TEST_HEADER,
  PANEL_TEST_PASS,
  PanelTestGuard,
  WarehouseSwitch,
} from './fixtures/panel-handlers.js';

const SECRET = 'inventory-to-warehouse-secret-0123456789';

/**
 * Posts the command over HTTP; without Nest's parsers Fastify's own JSON parser keeps no raw body,
 * so there the signed request goes to the receive service the route would call.
 */
async function receiveSigned(app: RunningTalktoApp, overHttp: boolean): Promise<{ messageId: string }> {
  const input = { secret: SECRET, source: 'inventory', target: 'warehouse', command: 'stock.reserve' };
  if (overHttp) {
    const sent = await postSigned({ url: `${app.url}/api/talkto/receive`, ...input });
    expect(sent.status).toBe(202);
    return sent;
  }
  const messageId = randomUUID();
  const frozen = freezePayload({});
  const request = buildOutgoingRequest({
    ...input,
    messageId,
    correlationId: randomUUID(),
    parentMessageId: null,
    idempotencyKey: null,
    payload: frozen.value,
    payloadHash: frozen.hash,
    signatureVersion: 'v2',
    timestamp: formatTalktoTimestamp(new Date()),
    nonce: randomUUID(),
  });
  const answer = await app.app.get(ReceiveService).receive({
    headers: Object.fromEntries(request.headers.map(([name, value]) => [name.toLowerCase(), value])),
    rawBody: Buffer.from(request.body),
  });
  expect(answer.status).toBe(202);
  return { messageId };
}

describe.each([
  ['with Nest body parsers', true],
  ['with bodyParser: false and no form plugin', false],
])('panel actions on Fastify %s', (_name, bodyParser) => {
  const apps: RunningTalktoApp[] = [];
  afterAll(async () => {
    await Promise.all(apps.map((app) => app.close()));
  });

  it('reprocesses a dead letter from a posted form', async () => {
    const app = await startTalktoApp({
      database: 'sqlite',
      queue: 'in-process',
      adapter: 'fastify',
      bodyParser,
      port: await freePort(),
      providers: PANEL_PROVIDERS,
      talkto: {
        service: 'warehouse',
        callbacks: { enabled: false },
        panel: { enabled: true, guard: PanelTestGuard },
        incoming: { inventory: { secret: SECRET, allowedCommands: ['stock.reserve'] } },
      },
    });
    apps.push(app);
    const sent = await receiveSigned(app, bodyParser);
    const rows = app.dataSource.getRepository(TalktoMessageEntity);
    const status = async () => (await rows.findOneByOrFail({ messageId: sent.messageId })).overallStatus;
    await waitFor(async () => (await status()) === 'failed_final', 'the dead-lettered command');

    const page = await fetch(`${app.url}/talkto/dead-letters`, {
      headers: { [PANEL_TEST_HEADER]: PANEL_TEST_PASS },
    });
    expect(page.status).toBe(200);
    const cookie = (page.headers.get('set-cookie') ?? '').split(';')[0];
    expect(cookie).toMatch(/^talkto_panel_csrf=[A-Za-z0-9_-]{32}$/);
    const html = await page.text();
    const action = /<form method="post" action="([^"]+\/reprocess)"/.exec(html)?.[1];
    const token = /name="_csrf" value="([^"]+)"/.exec(html)?.[1];
    expect(action).toBeDefined();
    expect(`talkto_panel_csrf=${token}`).toBe(cookie);

    app.app.get(WarehouseSwitch).broken = false;
    const posted = await fetch(`${app.url}${action}`, {
      method: 'POST',
      headers: {
        [PANEL_TEST_HEADER]: PANEL_TEST_PASS,
        cookie,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ _csrf: token ?? '' }),
      redirect: 'manual',
    });
    expect(posted.status).toBe(302);
    const location = new URL(posted.headers.get('location') ?? '', app.url);
    expect(location.searchParams.get('flash')).toMatch(/queued for reprocessing/);
    expect(location.searchParams.get('failed')).toBeNull();
    await waitFor(async () => (await status()) === 'succeeded', 'the reprocessed command');

    const forged = await fetch(`${app.url}${action}`, {
      method: 'POST',
      headers: {
        [PANEL_TEST_HEADER]: PANEL_TEST_PASS,
        cookie,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ _csrf: 'x'.repeat(32) }),
      redirect: 'manual',
    });
    expect(forged.status).toBe(403);
  });
});
