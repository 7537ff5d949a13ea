// Runs under the starter's own test runner (jest or vitest, their globals) against the installed package.
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import {
  LoopbackTalktoTransport,
  TalktoClient,
  TalktoTesting,
  TalktoTestingModule,
  TalktoTransport,
} from 'nestjs-talkto';
import { TalktoDemoModule } from './talkto-demo.module.js';

/** vitest's global in the ESM starter; jest's own `jest` is declared by its types in the CommonJS one. */
declare const vi: { useFakeTimers(): unknown; useRealTimers(): unknown } | undefined;

describe('TalktoDemoModule under TalktoTestingModule', () => {
  let app: INestApplication;
  let talkto: TalktoTesting;

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [TalktoDemoModule, TalktoTestingModule],
    })
      .overrideProvider(TalktoTransport)
      .useClass(LoopbackTalktoTransport)
      .compile();
    app = moduleRef.createNestApplication({ rawBody: true });
    await app.init();
    talkto = app.get(TalktoTesting);
  });

  afterAll(() => app.close());

  it('sends demo.ping to the peer without calling it', async () => {
    const peer = process.env.TALKTO_PEER as string;
    const sent = await app
      .get(TalktoClient)
      .send(peer, 'demo.ping', { sourceId: 's-1' }, { idempotencyKey: 'ping:s-1' });
    await talkto.drain();

    expect(talkto.sentTo(peer)[0].payload).toEqual({ sourceId: 's-1' });
    expect(await talkto.statusOf(sent.messageId)).toBe('destination_received');
  });

  it('runs the generated handler for a delivered demo.ping and reports back', async () => {
    const peer = process.env.TALKTO_PEER as string;
    talkto.reset();
    const answer = await talkto.deliver(
      'demo.ping',
      { sourceId: 's-2' },
      { source: peer, idempotencyKey: 'ping:s-2' },
    );
    expect(answer.status).toBe(202);

    await talkto.drain();
    expect(await talkto.statusOf(answer.messageId)).toBe('succeeded');
    expect(talkto.sentTo(peer)[0].command).toBe('talkto.result');
  });

  it('sends and drains while the test fakes timers, Date included', async () => {
    const peer = process.env.TALKTO_PEER as string;
    talkto.reset();
    // vitest's defaults; jest's less process.nextTick, on which node-postgres' pool hands out clients.
    const timers = typeof jest === 'undefined' ? vi! : jest;
    if (typeof jest === 'undefined') vi!.useFakeTimers();
    else jest.useFakeTimers({ doNotFake: ['nextTick', 'queueMicrotask'] });
    try {
      const sent = await app
        .get(TalktoClient)
        .send(peer, 'demo.ping', { sourceId: 's-3' }, { idempotencyKey: 'ping:s-3' });
      await talkto.drain();
      expect(talkto.sentTo(peer)[0].payload).toEqual({ sourceId: 's-3' });
      expect(await talkto.statusOf(sent.messageId)).toBe('destination_received');
    } finally {
      timers.useRealTimers();
    }
  });
});
