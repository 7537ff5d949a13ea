import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { TalktoMessageEntity } from '../../lib/persistence/entities/message.entity.js';
import { TalktoNonceEntity } from '../../lib/persistence/entities/nonce.entity.js';
import { freePort } from '../support/free-port.js';
import { postSigned } from '../support/signed-request.js';
import { type HttpAdapterKind, type RunningTalktoApp, startTalktoApp } from '../support/talkto-app.js';
import { ORDER_PROVIDERS } from './fixtures/order-handlers.js';

const SECRET = 'inventory-to-website-secret-0123456789';

/** Hosts whose body parser reads the JSON body without keeping its bytes, and the one that works. */
const HOSTS: Array<[string, HttpAdapterKind, { rawBody: boolean; bodyParser: boolean }, number]> = [
  ['Express without rawBody', 'express', { rawBody: false, bodyParser: true }, 500],
  ['Fastify with bodyParser off', 'fastify', { rawBody: true, bodyParser: false }, 500],
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
      : 'is received from the unparsed stream',
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
