import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { TalktoRateLimiter, type TalktoRateLimitDecision } from '../../lib/index.js';
import { ORDER_PROVIDERS } from '../e2e/fixtures/order-handlers.js';
import { freePort } from '../support/free-port.js';
import { postInventoryCommand, postSigned } from '../support/signed-request.js';
import { type HttpAdapterKind, type RunningTalktoApp, startTalktoApp } from '../support/talkto-app.js';

const INVENTORY_SECRET = 'inventory-to-website-secret-0123456789';
const BILLING_SECRET = 'billing-to-website-secret-01234567890';

describe.each<HttpAdapterKind>(['express', 'fastify'])('per-source rate limit over %s', (adapter) => {
  let website: RunningTalktoApp;

  const command = (source: 'inventory' | 'billing') =>
    postSigned({
      url: `${website.url}/api/talkto/receive`,
      secret: source === 'inventory' ? INVENTORY_SECRET : BILLING_SECRET,
      source,
      target: 'website',
      command: 'orders.reserve',
      payload: { orderId: 'o-1', quantity: 1 },
    });

  beforeAll(async () => {
    website = await startTalktoApp({
      database: 'sqlite',
      queue: 'in-process',
      adapter,
      port: await freePort(),
      providers: ORDER_PROVIDERS,
      talkto: {
        service: 'website',
        callbacks: { enabled: false },
        rateLimit: { limit: 3, windowSeconds: 60 },
        incoming: {
          inventory: { secret: INVENTORY_SECRET, allowedCommands: ['orders.reserve'] },
          billing: { secret: BILLING_SECRET, allowedCommands: ['orders.reserve'] },
        },
      },
    });
  });

  afterAll(async () => {
    await website?.close();
  });

  it('answers the 4th command in a window with 429, Retry-After and the protocol rejection', async () => {
    for (let i = 0; i < 3; i += 1) {
      expect((await command('inventory')).status).toBe(202);
    }
    const response = await fetch(`${website.url}/api/talkto/receive`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-talkto-source': 'inventory' },
      body: '{}',
    });
    expect(response.status).toBe(429);
    const retryAfter = Number(response.headers.get('retry-after'));
    expect(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60).toBe(true);
    expect(await response.json()).toEqual({ received: false, status: 'rejected', error: 'rate_limited' });
    // Signed or not: the limit applies before verification.
    const signed = await command('inventory');
    expect(signed.status).toBe(429);
    expect(signed.body).toEqual({ received: false, status: 'rejected', error: 'rate_limited' });
  });

  it('counts each source separately', async () => {
    for (let i = 0; i < 3; i += 1) {
      expect((await command('billing')).status).toBe(202);
    }
    expect((await command('billing')).status).toBe(429);
    expect((await command('inventory')).status).toBe(429);
  });

  it('limits the callback route too, answering in the callback shape', async () => {
    const post = () =>
      fetch(`${website.url}/api/talkto/callback`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-talkto-source': 'shipping' },
        body: JSON.stringify({ source: 'shipping' }),
      });
    for (let i = 0; i < 3; i += 1) {
      const allowed = await post();
      expect(allowed.status).not.toBe(429); // refused later, by verification
    }
    const limited = await post();
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(await limited.json()).toEqual({
      accepted: false,
      status: 'rejected',
      duplicate: false,
      error: 'rate_limited',
    });
  });

  it('keys on the body source when the header is missing', async () => {
    const post = () =>
      fetch(`${website.url}/api/talkto/receive`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ source: 'warehouse' }),
      });
    for (let i = 0; i < 3; i += 1) {
      expect((await post()).status).not.toBe(429);
    }
    expect((await post()).status).toBe(429);
    // Another body source from the same address still has its own budget.
    const other = await fetch(`${website.url}/api/talkto/receive`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ source: 'accounting' }),
    });
    expect(other.status).not.toBe(429);
  });
});

/** A store shared by several instances, as a Redis-backed limiter would be. */
class SharedWindowLimiter extends TalktoRateLimiter {
  readonly hits = new Map<string, number>();

  hit(key: string): TalktoRateLimitDecision {
    const hits = (this.hits.get(key) ?? 0) + 1;
    this.hits.set(key, hits);
    return { allowed: hits <= 2, retryAfterSeconds: 30 };
  }
}

describe('a rate limiter of the host given as rateLimit.limiter', () => {
  it('counts the requests of every instance that shares it', async () => {
    const limiter = new SharedWindowLimiter();
    const start = async () =>
      startTalktoApp({
        database: 'sqlite',
        queue: 'in-process',
        adapter: 'express',
        port: await freePort(),
        providers: ORDER_PROVIDERS,
        talkto: {
          service: 'website',
          callbacks: { enabled: false },
          rateLimit: { limiter },
          incoming: { inventory: { secret: INVENTORY_SECRET, allowedCommands: ['orders.reserve'] } },
        },
      });
    const [first, second] = [await start(), await start()];
    try {
      const send = (app: RunningTalktoApp) =>
        postInventoryCommand(app.url, INVENTORY_SECRET, 'orders.reserve', {
          orderId: 'o-shared',
          quantity: 1,
        });
      expect((await send(first)).status).toBe(202);
      expect((await send(second)).status).toBe(202);
      const refused = await send(first);
      expect(refused.status).toBe(429);
      expect(limiter.hits.get('source:inventory')).toBe(3);
    } finally {
      await first.close();
      await second.close();
    }
  });
});
