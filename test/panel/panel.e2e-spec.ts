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

describe('operations panel in headless Chromium (PostgreSQL, Express)', () => {
  let warehouse: RunningTalktoApp;
  let browser: HeadlessBrowser;
  let page: Page;
  let reserveId: string;
  let syncId: string;
  let pingId: string;
  const dialogs: string[] = [];

  const messages = () => warehouse.dataSource.getRepository(TalktoMessageEntity);
  const shot = (name: string) => page.screenshot({ path: `${SHOTS}/${name}.png`, fullPage: true });
  const send = async (source: 'inventory' | 'billing', command: string, payload: unknown) => {
    const answer = await postSigned({
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
        panel: { enabled: true, guard: PanelTestGuard },
        incoming: {
          inventory: {
            secret: INVENTORY_SECRET,
            allowedCommands: ['stock.reserve', 'stock.sync', 'stock.ping'],
          },
          billing: { secret: BILLING_SECRET, allowedCommands: ['stock.ping'] },
        },
      },
    });
    reserveId = await send('inventory', 'stock.reserve', { sku: 'A-1', quantity: 2 });
    syncId = await send('inventory', 'stock.sync', { sku: 'B-7' });
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
  });

  it('lists every message, newest first, with status badges', async () => {
    await page.goto(`${warehouse.url}/talkto`);
    expect(new URL(page.url()).pathname).toBe('/talkto/messages');
    await expect(page.locator('h1').textContent()).resolves.toBe('Messages');
    const ids = await page.locator('tbody tr td:first-child a').allTextContents();
    expect(ids).toEqual([pingId, syncId, reserveId]);
    await expect(page.locator('main p').first().textContent()).resolves.toContain('3 message(s)');
    await expect(page.locator('tbody .s-failed_final').count()).resolves.toBe(1);
    await shot('messages');
  });

  it('filters by peer, command, direction and status through the form', async () => {
    await page.goto(`${warehouse.url}/talkto/messages`);
    await page.fill('input[name=peer]', 'inventory');
    await page.selectOption('select[name=direction]', 'incoming');
    await page.click('form.filters button[type=submit]');
    await page.waitForURL(/peer=inventory/);
    expect(await page.locator('tbody tr td:first-child a').allTextContents()).toEqual([syncId, reserveId]);

    await page.fill('input[name=status]', 'failed_retryable');
    await page.click('form.filters button[type=submit]');
    await page.waitForURL(/status=failed_retryable/);
    expect(await page.locator('tbody tr td:first-child a').allTextContents()).toEqual([syncId]);
    // The form keeps what was asked for.
    await expect(page.inputValue('input[name=peer]')).resolves.toBe('inventory');
    await expect(page.inputValue('select[name=direction]')).resolves.toBe('incoming');
    await shot('messages-filtered');

    await page.goto(`${warehouse.url}/talkto/messages?command=stock.ping&direction=outgoing`);
    await expect(page.locator('tbody tr').count()).resolves.toBe(0);
    await expect(page.locator('main p').first().textContent()).resolves.toContain('0 message(s)');
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

  it('shows passive connection health per peer', async () => {
    await page.goto(`${warehouse.url}/talkto/connections`);
    const peers = await page.locator('tbody tr td:first-child').allTextContents();
    expect(peers).toEqual(['billing', 'inventory']);
    await expect(page.locator('tbody tr', { hasText: 'billing' }).locator('.s').textContent()).resolves.toBe(
      'healthy',
    );
    await shot('connections');
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
});
