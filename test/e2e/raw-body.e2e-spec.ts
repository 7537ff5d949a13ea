import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { TalktoMessageEntity } from '../../lib/persistence/entities/message.entity.js';
import { TalktoNonceEntity } from '../../lib/persistence/entities/nonce.entity.js';
import { freePort } from '../support/free-port.js';
import { postSigned } from '../support/signed-request.js';
import { type HttpAdapterKind, type RunningTalktoApp, startTalktoApp } from '../support/talkto-app.js';
import { ORDER_PROVIDERS } from './fixtures/order-handlers.js';

const SECRET = 'inventory-to-website-secret-0123456789';

/** Body-parser setups of a host: where the bytes cannot be had, and where Talkto gets them. */
const HOSTS: Array<[string, HttpAdapterKind, { rawBody: boolean; bodyParser: boolean }, number]> = [
  ['Express without rawBody', 'express', { rawBody: false, bodyParser: true }, 500],
  ['Fastify with bodyParser off', 'fastify', { rawBody: false, bodyParser: false }, 202],
  ['Fastify without rawBody', 'fastify', { rawBody: false, bodyParser: true }, 202],
  ['Express with bodyParser off', 'express', { rawBody: false, bodyParser: false }, 202],
];

describe.each(HOSTS)('a signed command to %s', (_name, adapter, appOptions, status) => {
  let website: RunningTalktoApp;
  let receiveUrl: string;

  beforeAll(async () => {
    const port = await freePort();
    receiveUrl = `http://127.0.0.1:${port}/api/talkto/receive`;
    website = await startTalktoApp({
      database: 'sqlite',
      queue: 'in-process',
      adapter,
      port,
      providers: ORDER_PROVIDERS,
      ...appOptions,
      talkto: {
        service: 'website',
        incoming: { inventory: { secret: SECRET, allowedCommands: { 'orders.reserve': {} } } },
      },
    });
  });

  afterAll(async () => {
    await website?.close();
  });

  it(
    status === 500
      ? 'is answered 500 so the sender retries, and leaves nothing behind'
      : 'is verified from its exact bytes and stored',
    async () => {
      const answer = await postSigned({
        url: receiveUrl,
        secret: SECRET,
        source: 'inventory',
        target: 'website',
        command: 'orders.reserve',
        payload: { orderId: 'o-raw', quantity: 1 },
      });
      expect(answer.status).toBe(status);
      const stored = await website.dataSource.manager.countBy(TalktoMessageEntity, {
        messageId: answer.messageId,
      });
      expect(stored).toBe(status === 202 ? 1 : 0);
      if (status === 500) {
        expect(await website.dataSource.manager.count(TalktoNonceEntity)).toBe(0);
        expect(JSON.stringify(answer.body)).not.toContain(SECRET);
      }
    },
  );
});

describe('a body over the host limit on a Fastify Talkto route', () => {
  it('is refused with 413 before anything is read into a message', async () => {
    const port = await freePort();
    const website = await startTalktoApp({
      database: 'sqlite',
      queue: 'in-process',
      adapter: 'fastify',
      port,
      providers: ORDER_PROVIDERS,
      rawBody: false,
      bodyParser: false,
      talkto: {
        service: 'website',
        incoming: { inventory: { secret: SECRET, allowedCommands: { 'orders.reserve': {} } } },
      },
    });
    try {
      const answer = await postSigned({
        url: `http://127.0.0.1:${port}/api/talkto/receive`,
        secret: SECRET,
        source: 'inventory',
        target: 'website',
        command: 'orders.reserve',
        payload: { orderId: 'o-big', note: 'x'.repeat(1_100_000) },
      });
      expect(answer.status).toBe(413);
      expect(await website.dataSource.manager.count(TalktoMessageEntity)).toBe(0);
    } finally {
      await website.close();
    }
  });
});
