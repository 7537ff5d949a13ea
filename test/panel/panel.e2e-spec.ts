import { mkdir } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Page } from 'playwright-core';
import { TalktoDeadLetterEntity } from '../../lib/persistence/entities/dead-letter.entity.js';
import { TalktoEventEntity } from '../../lib/persistence/entities/event.entity.js';
import { TalktoMessageEntity } from '../../lib/persistence/entities/message.entity.js';
import { freePort } from '../support/free-port.js';
import { type HeadlessBrowser, launchHeadlessChromium } from '../support/headless-browser.js';
import { postSigned } from '../support/signed-request.js';
import { type RunningTalktoApp, startTalktoApp } from '../support/talkto-app.js';
import { waitFor } from '../support/wait-for.js';
import { type HealthServer, startHealthServer } from './fixtures/health-server.js';
import {
  PANEL_PROVIDERS,
  PANEL_TEST_COOKIE,
  PANEL_TEST_PASS,
  PanelTestGuard,
  WarehouseSwitch,
} from './fixtures/panel-handlers.js';

const SHOTS = 'test-results/panel';
const INVENTORY_SECRET = 'inventory-to-warehouse-secret-0123456789';
const BILLING_SECRET = 'billing-to-warehouse-secret-01234567890';
const LEDGER_SECRET = 'warehouse-to-ledger-secret-0123456789abc';
/** Configured on outgoing peers; neither may reach a page or a health check. */
const URL_TOKEN = 'url-token-do-not-show';
const API_KEY = 'api-key-do-not-send';
const CORRELATION = 'corr-restock-7';

describe('operations panel in headless Chromium (PostgreSQL, Express)', () => {
  let warehouse: RunningTalktoApp;
  let health: HealthServer;
  let browser: HeadlessBrowser;
  let page: Page;
  let reserveId: string;
  let syncId: string;
  let pingId: string;
  const dialogs: string[] = [];

  const messages = () => warehouse.dataSource.getRepository(TalktoMessageEntity);
  const shot = (name: string) => page.screenshot({ path: `${SHOTS}/${name}.png`, fullPage: true });
  const send = async (
    source: 'inventory' | 'billing',
    command: string,
    payload: unknown,
    extra: { correlationId?: string; idempotencyKey?: string } = {},
  ) => {
    const answer = await postSigned({
      ...extra,
      url: `${warehouse.url}/api/talkto/receive`,
      secret: source === 'inventory' ? INVENTORY_SECRET : BILLING_SECRET,
      source,
      target: 'warehouse',
      command,
      payload,
    });
    expect(answer.status).toBe(202);
    return answer.messageId;
  };
  const statusOf = async (messageId: string) =>
    (await messages().findOneByOrFail({ messageId })).overallStatus;

  beforeAll(async () => {
    await mkdir(SHOTS, { recursive: true });
    health = await startHealthServer();
    const outgoing = (path: string, method?: string) => ({
      receiveUrl: `http://127.0.0.1:9/api/talkto/receive?token=${URL_TOKEN}`,
      secret: LEDGER_SECRET,
      headers: { 'X-Api-Key': API_KEY },
      ...(path
        ? { health: { url: `${health.url}${path}?key=${URL_TOKEN}`, method, timeoutSeconds: 0.5 } }
        : {}),
    });
    warehouse = await startTalktoApp({
      database: 'postgres',
      queue: 'in-process',
      adapter: 'express',
      port: await freePort(),
      providers: PANEL_PROVIDERS,
      talkto: {
        service: 'warehouse',
        callbacks: { enabled: false },
        // Handler failures wait ten minutes for a retry, so "Retry now" is what moves them.
        retry: { incoming: { enabled: true, backoffSeconds: [600] } },
        panel: {
          enabled: true,
          guard: PanelTestGuard,
          showPayload: true,
          activeHealthChecks: { enabled: true, cacheSeconds: 600 },
        },
        outgoing: {
          ledger: outgoing('/health'),
          archive: outgoing('/hang'),
          mailer: outgoing('/health', 'POST'),
          search: outgoing(''),
        },
        incoming: {
          inventory: {
            secret: INVENTORY_SECRET,
            allowedCommands: ['stock.reserve', 'stock.sync', 'stock.ping'],
          },
          billing: { secret: BILLING_SECRET, allowedCommands: ['stock.ping'] },
        },
      },
    });
    reserveId = await send(
      'inventory',
      'stock.reserve',
      { sku: 'A-1', quantity: 2 },
      { correlationId: CORRELATION, idempotencyKey: 'reserve-A-1-order-1001' },
    );
    syncId = await send('inventory', 'stock.sync', { sku: 'B-7' }, { correlationId: CORRELATION });
    pingId = await send('billing', 'stock.ping', {
      note: '<img src=x onerror=alert(1)>',
      password: 'hunter2-do-not-show',
    });
    await waitFor(
      async () =>
        (await statusOf(reserveId)) === 'failed_final' &&
        (await statusOf(syncId)) === 'failed_retryable' &&
        (await statusOf(pingId)) === 'succeeded',
      'the three commands handled',
    );

    // Commands this service sent: rows as the send pipeline leaves them, in states nothing re-sends.
    const minutesAgo = (minutes: number) => new Date(Date.now() - minutes * 60_000);
    const outgoingRow = (messageId: string, fields: Partial<TalktoMessageEntity>) =>
      messages().save({
        messageId,
        direction: 'outgoing',
        sourceService: 'warehouse',
        targetService: 'ledger',
        command: 'ledger.post',
        payload: '{}',
        createdAt: minutesAgo(6),
        updatedAt: minutesAgo(5),
        ...fields,
      });
    await outgoingRow('out-waiting-1', {
      correlationId: CORRELATION,
      overallStatus: 'destination_received',
      transportStatus: 'sent',
      destinationReceiveStatus: 'received',
      attempts: 1,
      sentAt: minutesAgo(5),
    });
    const applied = await outgoingRow('out-applied-1', {
      overallStatus: 'completed',
      transportStatus: 'sent',
      destinationReceiveStatus: 'received',
      destinationActionStatus: 'succeeded',
      attempts: 1,
      sentAt: minutesAgo(5),
      completedAt: minutesAgo(4),
    });
    await warehouse.dataSource.getRepository(TalktoEventEntity).save({
      talktoMessageId: applied.id,
      messageId: applied.messageId,
      serviceName: 'warehouse',
      eventType: 'result_callback_applied',
      newStatus: 'completed',
      createdAt: minutesAgo(4),
    });
    await outgoingRow('out-archive-1', {
      targetService: 'archive',
      command: 'archive.store',
      overallStatus: 'failed_retryable',
      attempts: 1,
      retryCount: 1,
      nextRetryAt: new Date(Date.now() + 86_400_000),
      failedAt: minutesAgo(5),
    });

    browser = await launchHeadlessChromium();
    await browser.context.addCookies([
      { name: PANEL_TEST_COOKIE, value: PANEL_TEST_PASS, domain: '127.0.0.1', path: '/' },
    ]);
    page = await browser.context.newPage();
    page.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
  });

  afterAll(async () => {
    await browser?.close();
    await warehouse?.close();
    await health?.close();
  });

  it('opens on the latest messages and the passive health of every connection', async () => {
    await page.goto(`${warehouse.url}/talkto`);
    const connections = page.locator('table.health tbody tr');
    const rows = await connections.evaluateAll((trs) =>
      trs.map((tr) => [...tr.querySelectorAll('td')].slice(0, 3).map((td) => td.textContent?.trim())),
    );
    expect(rows).toEqual([
      ['archive', 'outgoing', 'degraded'],
      ['ledger', 'outgoing', 'healthy'],
      ['mailer', 'outgoing', 'unknown'],
      ['search', 'outgoing', 'unknown'],
      ['billing', 'incoming', 'healthy'],
      ['inventory', 'incoming', 'failing'],
    ]);
    await expect(connections.filter({ hasText: 'inventory' }).textContent()).resolves.toMatch(
      /dead_letters=1.*recent_failures=2/,
    );
    const latest = await page.locator('h2:text-is("Latest messages") + table tbody tr td:first-child a');
    expect(await latest.allTextContents()).toEqual([
      'out-archive-1',
      'out-applied-1',
      'out-waiting-1',
      pingId,
      syncId,
      reserveId,
    ]);
    await shot('index');
  });

  it('lists every message, newest first, with status badges', async () => {
    await page.goto(`${warehouse.url}/talkto/messages?direction=incoming`);
    await expect(page.locator('h1').textContent()).resolves.toBe('Messages');
    const ids = await page.locator('tbody tr td:first-child a').allTextContents();
    expect(ids).toEqual([pingId, syncId, reserveId]);
    await expect(page.locator('main p').first().textContent()).resolves.toContain('3 message(s)');
    await expect(page.locator('tbody .s-failed_final').count()).resolves.toBe(1);
    await shot('messages');
  });

  it('filters by peer, command, direction and status through the form', async () => {
    await page.goto(`${warehouse.url}/talkto/messages`);
    await page.fill('input[name=service]', 'inventory');
    await page.selectOption('select[name=direction]', 'incoming');
    await page.click('form.filters button[type=submit]');
    await page.waitForURL(/service=inventory/);
    expect(await page.locator('tbody tr td:first-child a').allTextContents()).toEqual([syncId, reserveId]);

    await page.selectOption('select[name=status]', 'failed_retryable');
    await page.click('form.filters button[type=submit]');
    await page.waitForURL(/status=failed_retryable/);
    expect(await page.locator('tbody tr td:first-child a').allTextContents()).toEqual([syncId]);
    // The form keeps what was asked for.
    await expect(page.inputValue('input[name=service]')).resolves.toBe('inventory');
    await expect(page.inputValue('select[name=direction]')).resolves.toBe('incoming');
    await shot('messages-filtered');

    await page.goto(`${warehouse.url}/talkto/messages?command=stock.ping&direction=outgoing`);
    await expect(page.locator('tbody tr').count()).resolves.toBe(0);
    await expect(page.locator('main p').first().textContent()).resolves.toContain('0 message(s)');
  });

  it('filters by completion, id substring, correlation, business and idempotency keys', async () => {
    const listed = async (search: string) => {
      await page.goto(`${warehouse.url}/talkto/messages?${search}`);
      return page.locator('tbody tr td:first-child a').allTextContents();
    };
    await expect(listed('completion_state=completed')).resolves.toEqual(['out-applied-1', pingId]);
    await expect(listed('completionState=not_completed&direction=incoming')).resolves.toEqual([
      syncId,
      reserveId,
    ]);
    await expect(listed('message_id=applied')).resolves.toEqual(['out-applied-1']);
    // A LIKE wildcard in the input is taken literally.
    await expect(listed('message_id=out_')).resolves.toEqual([]);
    const reserve = await messages().findOneByOrFail({ messageId: reserveId });
    // Digits match the database id too, besides ids that contain them.
    await expect(listed(`message_id=${reserve.id}`)).resolves.toContain(reserveId);
    await expect(listed(`correlation_id=${CORRELATION}`)).resolves.toEqual([
      'out-waiting-1',
      syncId,
      reserveId,
    ]);
    await expect(listed('idempotency_key=A-1-order')).resolves.toEqual([reserveId]);
    // A substring search says which ids it read; here it reached the oldest row.
    await expect(page.locator('.searched').textContent()).resolves.toMatch(
      /Searched database ids \d+–\d+, down to the oldest message\./,
    );
    // A whole message id is found by equality (the unique index), however old.
    await expect(listed(`message_id=${reserveId}`)).resolves.toEqual([reserveId]);
    await expect(page.locator('.searched').count()).resolves.toBe(0);
    await messages().update({ id: reserve.id }, { businessKey: 'order-1001' });
    await expect(listed('business_key=order-1001')).resolves.toEqual([reserveId]);
    await expect(listed('business_key=order-1')).resolves.toEqual([]);
    await expect(listed('service=ledger&direction=outgoing')).resolves.toEqual([
      'out-applied-1',
      'out-waiting-1',
    ]);
    await shot('messages-filtered-keys');
  });

  it('ignores filter values that cannot mean anything instead of failing', async () => {
    for (const search of [
      'direction=sideways&status=bogus&completion_state=maybe&page=-3',
      'created_from=not-a-date&created_to=31/02/yesterday&page=abc',
      `message_id=${'x'.repeat(5000)}&status=&service=`,
    ]) {
      const response = await page.goto(`${warehouse.url}/talkto/messages?${search}`);
      expect(response?.status()).toBe(200);
      await expect(page.locator('main p').first().textContent()).resolves.toContain('6 message(s)');
    }
  });

  it('opens a message with its attempts and events, payload redacted and escaped', async () => {
    await page.goto(`${warehouse.url}/talkto/messages`);
    await page.click(`a:text-is("${pingId}")`);
    await page.waitForURL(`**/talkto/messages/${pingId}`);
    await expect(page.locator('h1').textContent()).resolves.toBe(`Message ${pingId}`);
    const body = await page.locator('main').innerText();
    expect(body).toContain('billing → warehouse');
    expect(body).toContain('stock.ping');
    expect(body).not.toContain('hunter2-do-not-show');
    // The markup in the payload is shown as text, never run.
    await expect(page.locator('pre').textContent()).resolves.toContain('<img src=x onerror=alert(1)>');
    await expect(page.locator('main img').count()).resolves.toBe(0);
    expect(dialogs).toEqual([]);
    await expect(page.locator('h2:text-is("Events") + table tbody tr').count()).resolves.toBeGreaterThan(0);
    await shot('message-detail');

    await page.click('a:text-is("Correlation trace")');
    await page.waitForURL(/\/talkto\/trace\//);
    expect(await page.locator('tbody tr td:nth-child(2) a').allTextContents()).toEqual([pingId]);
    await shot('trace');
  });

  it('retries a waiting message now through RetryService, before its retry is due', async () => {
    const before = await messages().findOneByOrFail({ messageId: syncId });
    await page.goto(`${warehouse.url}/talkto/retries`);
    await shot('retries');
    const row = page.locator('tbody tr', { hasText: syncId });
    await row.locator('button:text-is("Retry now")').click();
    await page.waitForURL(`**/talkto/messages/${syncId}?flash=*`);
    await expect(page.locator('.flash').textContent()).resolves.toBe('Retry queued.');

    const retried = await waitFor(async () => {
      const now = await messages().findOneByOrFail({ messageId: syncId });
      return now.retryCount > before.retryCount && now.overallStatus === 'failed_retryable' ? now : undefined;
    }, 'the retried attempt');
    expect(retried.attempts).toBeGreaterThan(before.attempts);
    const events = await warehouse.dataSource
      .getRepository(TalktoEventEntity)
      .findBy({ talktoMessageId: before.id, eventType: 'panel_retry_dispatched' });
    expect(events.map((event) => (event.meta as Record<string, unknown>).operation)).toContain('panel-retry');
  });

  it('reprocesses a dead letter through DeadLetterService and the message then succeeds', async () => {
    await page.goto(`${warehouse.url}/talkto/dead-letters`);
    const row = page.locator('tbody tr', { hasText: reserveId });
    await expect(row.locator('.s').textContent()).resolves.toBe('open');
    await shot('dead-letters');

    // A second operator has the same page open.
    const stale = await browser.context.newPage();
    await stale.goto(`${warehouse.url}/talkto/dead-letters`);

    warehouse.app.get(WarehouseSwitch).broken = false;
    await row.locator('button:text-is("Reprocess")').click();
    await page.waitForURL('**/talkto/dead-letters?flash=*');
    await expect(page.locator('.flash').textContent()).resolves.toMatch(/queued for reprocessing/);

    await waitFor(async () => (await statusOf(reserveId)) === 'succeeded', 'the reprocessed command');

    // The second click finds it claimed or done, and says so instead of reprocessing twice.
    await stale.locator('tbody tr', { hasText: reserveId }).locator('button:text-is("Reprocess")').click();
    await stale.waitForURL('**/talkto/dead-letters?flash=*');
    await expect(stale.locator('.flash.failed').textContent()).resolves.toMatch(/closed/);
    await stale.screenshot({ path: `${SHOTS}/dead-letters-refused.png`, fullPage: true });
    await stale.close();
    const deadLetter = await warehouse.dataSource
      .getRepository(TalktoDeadLetterEntity)
      .findOneByOrFail({ messageId: reserveId });
    expect(deadLetter.reprocessCount).toBe(1);
    const events = await warehouse.dataSource
      .getRepository(TalktoEventEntity)
      .findBy({ messageId: reserveId, eventType: 'panel_dead_letter_reprocess_dispatched' });
    expect(events).toHaveLength(1);
    await page.reload();
    await expect(
      page.locator('tbody tr', { hasText: reserveId }).locator('.s').textContent(),
    ).resolves.not.toBe('open');
    await shot('dead-letters-after-reprocess');
  });

  it('shows each connection: configuration, warnings, passive and active health, no secret', async () => {
    await page.goto(`${warehouse.url}/talkto/connections`);
    const card = (id: string) => page.locator(`section#${id}`);
    const activeOf = (id: string) =>
      card(id).locator('tr:has(th:text-is("Active health")) .s').first().textContent();
    await expect(activeOf('outgoing-ledger')).resolves.toBe('healthy');
    await expect(activeOf('outgoing-archive')).resolves.toBe('unknown');
    await expect(card('outgoing-archive').textContent()).resolves.toContain('no answer within 0.5 s');
    await expect(activeOf('outgoing-mailer')).resolves.toBe('misconfigured');
    await expect(card('outgoing-mailer').textContent()).resolves.toContain(
      'unsupported_active_health_method',
    );
    await expect(activeOf('outgoing-search')).resolves.toBe('not_configured');
    await expect(activeOf('incoming-billing')).resolves.toBe('not_applicable');
    await expect(card('incoming-inventory').textContent()).resolves.toContain(
      'stock.ping, stock.reserve, stock.sync',
    );
    const text = await page.locator('main').innerText();
    expect(text).toContain('Endpoint\thttp://127.0.0.1:9/api/talkto/receive?token=redacted');
    for (const secret of [URL_TOKEN, API_KEY, LEDGER_SECRET, INVENTORY_SECRET, BILLING_SECRET]) {
      expect(await page.content()).not.toContain(secret);
    }
    await shot('connections');

    // Only the two GET/HEAD routes were asked, once each, with nothing of Talkto's or the target's.
    expect(health.requests.map((r) => `${r.method} ${r.path}`).sort()).toEqual(['GET /hang', 'GET /health']);
    for (const { headers } of health.requests) {
      const names = Object.keys(headers);
      expect(names.filter((name) => name.startsWith('x-talkto'))).toEqual([]);
      expect(names).not.toContain('x-api-key');
      expect(names).not.toContain('cookie');
      expect(JSON.stringify(headers)).not.toContain(LEDGER_SECRET);
    }
  });

  it('reuses cached results on reload and asks the peer again on "Check now"', async () => {
    const before = health.requests.length;
    await page.goto(`${warehouse.url}/talkto/connections`);
    expect(health.requests.length).toBe(before);

    await page.locator('section#outgoing-ledger button:text-is("Check now")').click();
    await page.waitForURL('**/talkto/connections?flash=*');
    await expect(page.locator('.flash').textContent()).resolves.toBe('ledger: healthy (answered HTTP 200).');
    expect(health.requests.slice(before).map((r) => r.path)).toEqual(['/health']);

    await page.locator('section#outgoing-archive button:text-is("Check now")').click();
    await page.waitForURL('**/talkto/connections?flash=*');
    await expect(page.locator('.flash.failed').textContent()).resolves.toBe(
      'archive: unknown (no answer within 0.5 s).',
    );
    await shot('connections-checked');
  });

  it('refuses a forced check without CSRF (403) or for an unknown connection (404)', async () => {
    const cookie = `${PANEL_TEST_COOKIE}=${PANEL_TEST_PASS}; talkto_panel_csrf=${'a'.repeat(32)}`;
    const post = (path: string, csrf: string) =>
      fetch(`${warehouse.url}/talkto/connections/${path}/check`, {
        method: 'POST',
        headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ _csrf: csrf }),
        redirect: 'manual',
      });
    const before = health.requests.length;
    expect((await post('outgoing/ledger', 'b'.repeat(32))).status).toBe(403);
    expect((await post('outgoing/nobody', 'a'.repeat(32))).status).toBe(404);
    expect((await post('sideways/ledger', 'a'.repeat(32))).status).toBe(404);
    expect(health.requests.length).toBe(before);
  });

  it('inspects the callback status of a message, read-only', async () => {
    const inspect = async (messageId: string) => {
      await page.goto(`${warehouse.url}/talkto/messages/${messageId}/callback-status`);
      return page.locator('p.verdict .s').textContent();
    };
    await expect(inspect('out-waiting-1')).resolves.toBe('waiting_for_callback');
    await shot('callback-status');
    await expect(inspect('out-applied-1')).resolves.toBe('callback_applied');
    await expect(page.locator('li.seen').allTextContents()).resolves.toEqual(['✔ result_callback_applied']);
    // Callbacks are off in this app: an incoming command owes none.
    await expect(inspect(pingId)).resolves.toBe('not_applicable');
    await page.goto(`${warehouse.url}/talkto/messages/${pingId}`);
    await page.click('a:text-is("Callback status")');
    await page.waitForURL(`**/talkto/messages/${pingId}/callback-status`);
    const missing = await fetch(`${warehouse.url}/talkto/messages/no-such-id/callback-status`, {
      headers: { cookie: `${PANEL_TEST_COOKIE}=${PANEL_TEST_PASS}` },
    });
    expect(missing.status).toBe(404);
  });

  it('refuses a request the guard does not let in with 403', async () => {
    for (const path of ['/talkto/messages', `/talkto/messages/${pingId}`, '/talkto/dead-letters']) {
      const response = await fetch(`${warehouse.url}${path}`, { redirect: 'manual' });
      expect(response.status).toBe(403);
      expect(await response.text()).not.toContain(pingId);
    }
    const post = await fetch(`${warehouse.url}/talkto/messages/${syncId}/retry`, { method: 'POST' });
    expect(post.status).toBe(403);
  });

  it('refuses a POST whose CSRF token is missing or does not match the cookie', async () => {
    const before = await messages().findOneByOrFail({ messageId: syncId });
    const cookie = `${PANEL_TEST_COOKIE}=${PANEL_TEST_PASS}; talkto_panel_csrf=${'a'.repeat(32)}`;
    const attempts = [
      new URLSearchParams(),
      new URLSearchParams({ _csrf: 'b'.repeat(32) }),
      new URLSearchParams({ _csrf: '' }),
    ];
    for (const form of attempts) {
      const response = await fetch(`${warehouse.url}/talkto/messages/${syncId}/retry`, {
        method: 'POST',
        headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
        body: form,
        redirect: 'manual',
      });
      expect(response.status).toBe(403);
    }
    // Without the cookie the field alone is not enough either.
    const noCookie = await fetch(`${warehouse.url}/talkto/messages/${syncId}/retry`, {
      method: 'POST',
      headers: {
        cookie: `${PANEL_TEST_COOKIE}=${PANEL_TEST_PASS}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ _csrf: 'a'.repeat(32) }),
      redirect: 'manual',
    });
    expect(noCookie.status).toBe(403);
    const after = await messages().findOneByOrFail({ messageId: syncId });
    expect(after.retryCount).toBe(before.retryCount);
  });

  it('shows the system at a glance: throughput, success share, latency and backlogs, per peer', async () => {
    await page.goto(`${warehouse.url}/talkto`);
    await page.click('header a:text-is("Overview")');
    await page.waitForURL('**/talkto/overview');
    await expect(page.locator('figure.chart svg').count()).resolves.toBe(6);
    const stats = await page.locator('.stat').allInnerTexts();
    // Last hour, outgoing: one completed of three (one waits for its result, one for a retry).
    expect(stats[0].replace(/\s+/g, ' ')).toBe('33.3% succeeded of 3 outgoing 1 failed, 1 in flight');
    const latency = page.locator('table.latency tbody tr', { hasText: 'created → peer received, last hour' });
    await expect(latency.locator('td').nth(1).textContent()).resolves.toBe('60.0 s');
    const ledger = page.locator('table.peers tbody tr', { hasText: 'ledger' });
    await expect(ledger.locator('td').nth(2).textContent()).resolves.toBe('2');
    // Every bar says what it counts without a script: its tooltip is an SVG <title>.
    await expect(page.locator('figure.chart g title').first().textContent()).resolves.toMatch(
      /^\d\d:\d\d: succeeded \d+, failed \d+, in flight \d+$/,
    );
    await shot('overview');

    await ledger.locator('a:text-is("ledger")').click();
    await page.waitForURL('**/talkto/overview?peer=ledger');
    await expect(page.locator('h1').textContent()).resolves.toBe('Overview · ledger');
    await expect(page.locator('.stat').first().innerText()).resolves.toMatch(/^50\.0%/);
    await page.goto(`${warehouse.url}/talkto/overview?peer=nobody`);
    await expect(page.locator('h1').textContent()).resolves.toBe('Overview');
  });

  it("draws a message's life on a time axis: attempts with the peer's answers, events, callback", async () => {
    await page.goto(`${warehouse.url}/talkto/messages/${reserveId}`);
    const steps = await page.locator('ol.timeline li').allInnerTexts();
    await expect(page.locator('figure.timeline circle').count()).resolves.toBe(steps.length);
    // Failed, dead-lettered, reprocessed, then handled: every try is on the axis, in order.
    const tries = steps.filter((step) => step.includes('Attempts and answers: attempt'));
    expect(tries).toHaveLength(2);
    expect(tries[0]).toMatch(/attempt 1 .*failed_final/);
    expect(tries[1]).toMatch(/attempt 2 .*succeeded/);
    expect(steps.some((step) => /Message: dead_lettered/.test(step))).toBe(true);
    expect(steps.some((step) => /Message: panel_dead_letter_reprocess_dispatched/.test(step))).toBe(true);
    await shot('message-timeline');

    await page.goto(`${warehouse.url}/talkto/messages/out-applied-1`);
    await expect(page.locator('ol.timeline li').allInnerTexts()).resolves.toContainEqual(
      expect.stringContaining('Result callback: result_callback_applied'),
    );
  });

  it('puts the commands of both directions of a correlation on one timeline', async () => {
    await page.goto(`${warehouse.url}/talkto/trace/${CORRELATION}`);
    const lanes = await page.locator('figure.timeline svg a text').allTextContents();
    // In order of creation: the outgoing row was stored six minutes before the two commands came in.
    expect(lanes).toEqual(['→ ledger ledger.post', '← inventory stock.reserve', '← inventory stock.sync']);
    await page.click('figure.timeline svg a:has-text("→ ledger ledger.post")');
    await page.waitForURL('**/talkto/messages/out-waiting-1');
    await page.goBack();
    await shot('trace-timeline');
  });
});
