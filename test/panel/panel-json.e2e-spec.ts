import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { TalktoMessageEntity } from '../../lib/persistence/entities/message.entity.js';
import { freePort } from '../support/free-port.js';
import { postSigned } from '../support/signed-request.js';
import { type RunningTalktoApp, startTalktoApp } from '../support/talkto-app.js';
import { waitFor } from '../support/wait-for.js';
import { type HealthServer, startHealthServer } from './fixtures/health-server.js';
import {
  PANEL_PROVIDERS,
  PANEL_TEST_HEADER,
  PANEL_TEST_PASS,
  PanelTestGuard,
  WarehouseSwitch,
} from './fixtures/panel-handlers.js';

const SECRET = 'inventory-to-warehouse-secret-0123456789';
const LEDGER_SECRET = 'warehouse-to-ledger-secret-0123456789abc';
const JSON_ACCEPT = { accept: 'application/json', [PANEL_TEST_HEADER]: PANEL_TEST_PASS };

/** BEHAVIOR §14: every page answers JSON when the request expects JSON, HTML otherwise. */
describe.each([
  ['express', true],
  ['fastify', false],
] as const)('panel JSON on %s (active checks on: %s)', (adapter, activeChecks) => {
  let app: RunningTalktoApp;
  let health: HealthServer;
  let failedId: string;
  let okId: string;
  let cookie: string;
  let token: string;

  const get = async (path: string, headers: Record<string, string> = JSON_ACCEPT) => {
    const response = await fetch(`${app.url}/talkto${path}`, { headers });
    return {
      status: response.status,
      type: response.headers.get('content-type'),
      text: await response.text(),
    };
  };
  const getJson = async (path: string) => {
    const page = await get(path);
    expect(page.status).toBe(200);
    expect(page.type).toMatch(/^application\/json/);
    expect(page.text).not.toContain(SECRET);
    expect(page.text).not.toContain(LEDGER_SECRET);
    return JSON.parse(page.text) as Record<string, unknown>;
  };
  const post = (path: string, headers: Record<string, string> = {}) =>
    fetch(`${app.url}/talkto${path}`, {
      method: 'POST',
      headers: { ...JSON_ACCEPT, cookie, 'x-csrf-token': token, ...headers },
      redirect: 'manual',
    });

  beforeAll(async () => {
    health = await startHealthServer();
    app = await startTalktoApp({
      database: 'sqlite',
      queue: 'in-process',
      adapter,
      port: await freePort(),
      providers: PANEL_PROVIDERS,
      talkto: {
        service: 'warehouse',
        callbacks: { enabled: false },
        panel: {
          enabled: true,
          guard: PanelTestGuard,
          activeHealthChecks: { enabled: activeChecks },
        },
        outgoing: {
          ledger: {
            receiveUrl: 'http://127.0.0.1:9/api/talkto/receive',
            secret: LEDGER_SECRET,
            health: { url: `${health.url}/health` },
          },
        },
        incoming: { inventory: { secret: SECRET, allowedCommands: ['stock.reserve', 'stock.ping'] } },
      },
    });
    const send = async (command: string) => {
      const sent = await postSigned({
        url: `${app.url}/api/talkto/receive`,
        secret: SECRET,
        source: 'inventory',
        target: 'warehouse',
        command,
        payload: { sku: 'A-1', password: 'hunter2-do-not-show' },
        idempotencyKey: `json-${command}-order-77`,
      });
      expect(sent.status).toBe(202);
      return sent.messageId;
    };
    failedId = await send('stock.reserve');
    okId = await send('stock.ping');
    const rows = app.dataSource.getRepository(TalktoMessageEntity);
    const status = async (messageId: string) => (await rows.findOneByOrFail({ messageId })).overallStatus;
    await waitFor(
      async () => (await status(failedId)) === 'failed_final' && (await status(okId)) === 'succeeded',
      'the dead letter and the success',
    );
    const page = await fetch(`${app.url}/talkto`, { headers: { [PANEL_TEST_HEADER]: PANEL_TEST_PASS } });
    cookie = (page.headers.get('set-cookie') ?? '').split(';')[0];
    token = cookie.split('=')[1];
  });

  afterAll(async () => {
    await app?.close();
    await health?.close();
  });

  it('answers HTML to a browser and JSON to a client that asks for it', async () => {
    const browser = await get('/messages', { accept: 'text/html,*/*', [PANEL_TEST_HEADER]: PANEL_TEST_PASS });
    expect(browser.type).toMatch(/^text\/html/);
    const ajax = await get('/messages', {
      'x-requested-with': 'XMLHttpRequest',
      [PANEL_TEST_HEADER]: PANEL_TEST_PASS,
    });
    expect(ajax.type).toMatch(/^application\/json/);
    const refused = await get('/messages', { accept: 'application/json' });
    expect(refused.status).toBe(403);
  });

  it('lists the latest messages and passive health on the index, safe columns only', async () => {
    const index = await getJson('');
    const messages = index.messages as Array<Record<string, unknown>>;
    expect(messages.map((row) => row.message_id)).toEqual([okId, failedId]);
    expect(Object.keys(messages[0])).not.toEqual(expect.arrayContaining(['payload']));
    const connections = index.connections as Array<Record<string, unknown>>;
    expect(connections.map((c) => [c.direction, c.service, c.secret_configured])).toEqual([
      ['outgoing', 'ledger', true],
      ['incoming', 'inventory', true],
    ]);
    expect(connections[1].passive_health).toMatchObject({ state: 'failing', dead_letters: 1 });
  });

  it('pages and filters the list, clamps per_page and says which rows a substring search read', async () => {
    const page = await getJson(`/messages?per_page=1&idempotency_key=order-77`);
    expect(page).toMatchObject({ current_page: 1, per_page: 1, total: 2, total_is_lower_bound: false });
    expect((page.data as Array<Record<string, unknown>>).map((row) => row.message_id)).toEqual([okId]);
    expect(page.searched_ids).toMatchObject({ older_not_searched: false });
    await expect(getJson('/messages?per_page=5000')).resolves.toMatchObject({ per_page: 100 });
    // "Search older messages" continues below the lowest id searched: here, below the newer row.
    const newer = (page.data as Array<{ id: number }>)[0].id;
    const older = await getJson(`/messages?idempotency_key=order-77&before=${newer}`);
    expect((older.data as Array<Record<string, unknown>>).map((row) => row.message_id)).toEqual([failedId]);
    expect(older.searched_ids).toMatchObject({ below: newer, older_not_searched: false });
    const exact = await getJson(`/messages?message_id=${failedId}`);
    expect((exact.data as Array<Record<string, unknown>>).map((row) => row.message_id)).toEqual([failedId]);
    expect(exact.searched_ids).toBeNull();
  });

  it('traces a message (limit 1..500) and never shows its payload while showPayload is off', async () => {
    const trace = await getJson(`/messages/${failedId}/trace?payload=1&limit=9999`);
    expect(trace).toMatchObject({ found: true, message_id: failedId, limit: 500, truncated: false });
    const events = (trace.events as Array<Record<string, unknown>>).map((event) => event.event_type);
    expect(events).toEqual(expect.arrayContaining(['message_received', 'dead_lettered']));
    expect((trace.timeline as unknown[]).length).toBeGreaterThan(events.length);
    expect(JSON.stringify(trace)).not.toContain('hunter2-do-not-show');
    await expect(getJson(`/messages/${failedId}/trace?limit=2`)).resolves.toMatchObject({
      limit: 2,
      truncated: true,
    });
    const page = await get(`/messages/${failedId}/trace`, { [PANEL_TEST_HEADER]: PANEL_TEST_PASS });
    expect(page.status).toBe(200);
    expect(page.text).toContain(`Trace of ${failedId}`);
    expect(page.text).toContain('dead_lettered');
    expect((await get('/messages/no-such-message/trace')).status).toBe(404);
  });

  it('shows a message with the payload as its keys, the response and dead-letter headers redacted', async () => {
    const detail = await getJson(`/messages/${failedId}`);
    const message = detail.message as Record<string, unknown>;
    expect(message).toMatchObject({
      message_id: failedId,
      overall_status: 'failed_final',
      payload: { redacted: true, keys: ['sku', 'password'] },
      last_response: '[redacted]',
    });
    expect(message).not.toHaveProperty('locked_by');
    expect(detail.dead_letter).toMatchObject({ headers: '[redacted]', payload: { redacted: true } });
    expect((detail.events as unknown[]).length).toBeGreaterThan(0);
    expect(JSON.stringify(detail)).not.toContain('hunter2');
    const inspection = await getJson(`/messages/${failedId}/callback-status`);
    expect(Object.keys(inspection).length).toBeGreaterThan(0);
    await expect(get('/messages/no-such-message')).resolves.toMatchObject({ status: 404 });
  });

  it('answers an action with {success, message, meta, redirect_route}: 422 when refused, 200 when done', async () => {
    const refused = await post(`/messages/${failedId}/retry`);
    expect(refused.status).toBe(422);
    await expect(refused.json()).resolves.toMatchObject({
      success: false,
      message: expect.any(String),
      meta: { message: failedId },
      redirect_route: 'talkto.panel.messages.show',
    });
    const letters = await getJson('/dead-letters');
    const [letter] = letters.data as Array<{ id: number; message_id: string }>;
    expect(letter.message_id).toBe(failedId);
    app.app.get(WarehouseSwitch).broken = false;
    const done = await post(`/dead-letters/${letter.id}/reprocess`);
    expect(done.status).toBe(200);
    await expect(done.json()).resolves.toMatchObject({
      success: true,
      redirect_route: 'talkto.panel.messages.show',
    });
    const forged = await post(`/dead-letters/${letter.id}/reprocess`, { 'x-csrf-token': 'A'.repeat(32) });
    expect(forged.status).toBe(403);
  });

  it('checks a connection on demand: 200 when active checks are on, 422 when off, 404 when unknown', async () => {
    const checked = await post('/connections/outgoing/ledger/check');
    const body = (await checked.json()) as Record<string, unknown>;
    if (activeChecks) {
      expect(checked.status).toBe(200);
      expect(body).toMatchObject({ success: true, meta: { active_health: { status: 'healthy' } } });
    } else {
      expect(checked.status).toBe(422);
      expect(body).toMatchObject({ success: false, message: 'Active health checks are disabled.' });
    }
    await expect(post('/connections/outgoing/nobody/check')).resolves.toMatchObject({ status: 404 });
    const list = await getJson('/connections');
    expect(list.active_checks_enabled).toBe(activeChecks);
  });
});
