import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash, createHmac } from 'node:crypto';
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import {
  LoopbackTalktoTransport,
  TalktoTesting,
  TalktoModule,
  TalktoTestingModule,
  TalktoTransport,
} from '../../lib/index.js';
import { createTestDatabase, type DatabaseKind, type TestDatabase } from '../support/databases.js';
import { randomBytes } from 'node:crypto';
import {
  CheckoutService,
  SHOP_TO_BILLING_SECRET,
  ShipmentLog,
  shopAppModule,
  shopTalktoOptions,
} from './fixtures/shop-app.module.js';

type Mode = 'initialised only' | 'listening';

const RUNS: Array<[DatabaseKind, Mode]> = [
  ['sqlite', 'initialised only'],
  ['sqlite', 'listening'],
  ['postgres', 'listening'],
];

/** Keys sorted at every level: the canonical form the payload hash is taken over (simple values only). */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value).sort();
    const record = value as Record<string, unknown>;
    return `{${keys.map((key) => `${JSON.stringify(key)}:${canonical(record[key])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

describe.each(RUNS)('a host app tested with TalktoTestingModule on %s, %s', (kind, mode) => {
  let database: TestDatabase;
  let app: INestApplication;
  let talkto: TalktoTesting;
  let receiveHits = 0;

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    // What a host's test does: its real AppModule, plus the testing module, with the one transport swapped.
    const moduleRef = await Test.createTestingModule({
      imports: [shopAppModule(database.options), TalktoTestingModule],
    })
      .overrideProvider(TalktoTransport)
      .useClass(LoopbackTalktoTransport)
      .compile();
    app = moduleRef.createNestApplication({ rawBody: true, logger: false });
    app.use((request: { url: string }, _response: unknown, next: () => void) => {
      if (request.url === '/api/talkto/receive') receiveHits += 1;
      next();
    });
    if (mode === 'listening') {
      await app.listen(0, '127.0.0.1');
    } else {
      await app.init();
    }
    talkto = app.get(TalktoTesting);
  });

  afterAll(async () => {
    await app?.close();
    await database?.drop();
  });

  it('captures what the app sends, signed for the peer, and never calls it', async () => {
    talkto.reset();
    const sent = await app.get(CheckoutService).checkout('o-1001', 1250);
    await talkto.drain();

    const [message] = talkto.sentTo('billing');
    expect(talkto.sentTo('billing')).toHaveLength(1);
    expect(message).toMatchObject({
      url: 'https://billing.invalid/api/talkto/receive',
      messageId: sent.messageId,
      source: 'shop',
      target: 'billing',
      command: 'invoice.create',
      payload: { orderId: 'o-1001', amountCents: 1250, lines: [{ sku: 'MUG-1', qty: 2 }] },
    });

    const payloadHash = createHash('sha256')
      .update(canonical({ orderId: 'o-1001', amountCents: 1250, lines: [{ sku: 'MUG-1', qty: 2 }] }))
      .digest('hex');
    expect(message.payloadHash).toBe(payloadHash);
    expect(message.headers['x-talkto-payload-hash']).toBe(payloadHash);
    expect(JSON.parse(message.body)).toMatchObject({ message_id: sent.messageId, payload_hash: payloadHash });
    expect(message.body).toContain('"payload":{"orderId":"o-1001","amountCents":1250,');

    const signingLines = [
      'v2',
      message.headers['x-talkto-timestamp'],
      message.headers['x-talkto-nonce'],
      sent.messageId,
      'shop',
      'billing',
      'invoice.create',
      payloadHash,
    ].join('\n');
    const expected = createHmac('sha256', SHOP_TO_BILLING_SECRET).update(signingLines).digest('hex');
    expect(message.headers['x-talkto-signature']).toBe(expected);
    expect(await talkto.statusOf(sent.messageId)).toBe('destination_received');
  });

  it('delivers a signed command into the app, runs the handler on drain and reports back', async () => {
    talkto.reset();
    const hitsBefore = receiveHits;
    const answer = await talkto.deliver('order.ship', { orderId: 'o-1001' }, { source: 'billing' });

    expect(answer).toMatchObject({ status: 202, body: { received: true, status: 'queued' } });
    expect(receiveHits - hitsBefore).toBe(mode === 'listening' ? 1 : 0);

    await talkto.drain();
    expect(app.get(ShipmentLog).shipped).toContainEqual({ orderId: 'o-1001', messageId: answer.messageId });
    expect(await talkto.statusOf(answer.messageId)).toBe('succeeded');

    const [callback] = talkto.sentTo('billing');
    expect(callback.command).toBe('talkto.result');
    expect(callback.parentMessageId).toBe(answer.messageId);
  });

  it('rejects a delivery whose message id was already received, as the real route does', async () => {
    const first = await talkto.deliver('order.ship', { orderId: 'o-1002' }, { source: 'billing' });
    const again = await talkto.deliver(
      'order.ship',
      { orderId: 'o-1002' },
      { source: 'billing', messageId: first.messageId },
    );
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ received: true, duplicate: true });
    await talkto.drain();
    expect(app.get(ShipmentLog).shipped.filter((entry) => entry.orderId === 'o-1002')).toHaveLength(1);
  });

  it('answers sends with the canned response and forgets it on reset', async () => {
    talkto.reset();
    talkto.respondWith('billing', 503, { received: false });
    const failing = await app.get(CheckoutService).checkout('o-1003', 99);
    await talkto.drain();
    expect(await talkto.statusOf(failing.messageId)).toBe('failed_retryable');

    talkto.reset();
    expect(talkto.sent()).toEqual([]);
    const healthy = await app.get(CheckoutService).checkout('o-1004', 99);
    await talkto.drain();
    expect(await talkto.statusOf(healthy.messageId)).toBe('destination_received');
    expect(talkto.sentTo('billing').map((message) => message.messageId)).toEqual([healthy.messageId]);
  });
});

describe('choosing the transport per environment', () => {
  it('needs no override when forRootAsync picks loopback outside production', async () => {
    const database = await createTestDatabase('sqlite');
    const talktoModule = TalktoModule.forRootAsync({
      useFactory: () => ({
        ...shopTalktoOptions(),
        transport: process.env.NODE_ENV === 'production' ? 'http' : 'loopback',
      }),
    });
    const moduleRef = await Test.createTestingModule({
      imports: [shopAppModule(database.options, talktoModule), TalktoTestingModule],
    }).compile();
    const app = await moduleRef.createNestApplication({ logger: false }).init();
    try {
      const talkto = app.get(TalktoTesting);
      const sent = await app.get(CheckoutService).checkout('o-2001', 10);
      await talkto.drain();
      expect(talkto.sent().map((message) => message.messageId)).toEqual([sent.messageId]);
    } finally {
      await app.close();
      await database.drop();
    }
  });
});

describe.each([
  ['v1', [], 202],
  ['/v1/', [], 202],
  ['v1', ['api/talkto/receive'], 202],
])(
  'TalktoTesting.deliver on a listening app with global prefix %j excluding %j',
  (prefix, exclude, status) => {
    it('posts to the receive route where the app serves it', async () => {
      const database = await createTestDatabase('sqlite');
      const moduleRef = await Test.createTestingModule({
        imports: [shopAppModule(database.options), TalktoTestingModule],
      })
        .overrideProvider(TalktoTransport)
        .useClass(LoopbackTalktoTransport)
        .compile();
      const app = moduleRef.createNestApplication({ rawBody: true, logger: false });
      app.setGlobalPrefix(prefix, { exclude });
      const paths: string[] = [];
      app.use((request: { url: string }, _response: unknown, next: () => void) => {
        paths.push(request.url);
        next();
      });
      await app.listen(0, '127.0.0.1');
      try {
        const answer = await app
          .get(TalktoTesting)
          .deliver('order.ship', { orderId: 'o-9' }, { source: 'billing' });
        expect(answer.status).toBe(status);
        expect(paths).toEqual([exclude.length > 0 ? '/api/talkto/receive' : '/v1/talkto/receive']);
      } finally {
        await app.close();
        await database.drop();
      }
    });
  },
);

describe('TalktoTesting refuses what would reach a real peer or hang', () => {
  it('will not start on the http transport', async () => {
    const database = await createTestDatabase('sqlite');
    try {
      const moduleRef = await Test.createTestingModule({
        imports: [shopAppModule(database.options), TalktoTestingModule],
      }).compile();
      const app = moduleRef.createNestApplication({ logger: false });
      await expect(app.init()).rejects.toThrow(/needs the loopback transport/);
      await app.close();
    } finally {
      await database.drop();
    }
  });

  it('signs only for configured sources', async () => {
    const database = await createTestDatabase('sqlite');
    const moduleRef = await Test.createTestingModule({
      imports: [shopAppModule(database.options), TalktoTestingModule],
    })
      .overrideProvider(TalktoTransport)
      .useValue(new LoopbackTalktoTransport())
      .compile();
    const app = await moduleRef.createNestApplication({ logger: false }).init();
    try {
      await expect(app.get(TalktoTesting).deliver('order.ship', {}, { source: 'warehouse' })).rejects.toThrow(
        /no valid incoming secret is configured for warehouse/,
      );
    } finally {
      await app.close();
      await database.drop();
    }
  });

  it('explains that drain() needs the in-process queue when Bull is configured', async () => {
    const database = await createTestDatabase('sqlite');
    const talktoModule = TalktoModule.forRoot({
      ...shopTalktoOptions(),
      transport: 'loopback',
      queue: {
        driver: 'bull',
        redis: 'redis://127.0.0.1:6379',
        prefix: `talkto-testing-${randomBytes(4).toString('hex')}`,
      },
    });
    const moduleRef = await Test.createTestingModule({
      imports: [shopAppModule(database.options, talktoModule), TalktoTestingModule],
    }).compile();
    try {
      // Not started: the check comes before any queue is touched.
      await expect(moduleRef.get(TalktoTesting).drain()).rejects.toThrow(/needs the in-process queue driver/);
    } finally {
      await moduleRef.close();
      await database.drop();
    }
  });
});
