import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { TalktoAttemptEntity } from '../../lib/persistence/entities/attempt.entity.js';
import { TalktoMessageEntity } from '../../lib/persistence/entities/message.entity.js';
import { TalktoClient } from '../../lib/index.js';
import { HttpTalktoTransport } from '../../lib/outgoing/http.transport.js';
import { InProcessQueueDriver } from '../../lib/queue/in-process.driver.js';
import { TALKTO_QUEUE_DRIVER } from '../../lib/queue/queue.constants.js';
import { type ReliabilityContext, startReliabilityContext } from '../retry/reliability-context.js';

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/** A real HTTP peer on 127.0.0.1; `answer` decides each response (or never responds). */
async function startPeer(
  answer: (seen: Seen, response: ServerResponse) => void,
): Promise<{ url: string; seen: Seen[]; server: Server }> {
  const seen: Seen[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const entry = {
        method: request.method ?? '',
        url: request.url ?? '',
        headers: request.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      seen.push(entry);
      answer(entry, response);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen, server };
}

function stopPeer(server: Server): Promise<void> {
  return new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
}

describe('HttpTalktoTransport', () => {
  const transport = new HttpTalktoTransport();
  const servers: Server[] = [];
  const peer = async (answer: Parameters<typeof startPeer>[0]) => {
    const started = await startPeer(answer);
    servers.push(started.server);
    return started;
  };

  afterEach(async () => {
    await Promise.all(servers.splice(0).map(stopPeer));
  });
  const body = '{"message_id":"m-1","payload":{"note":"après"}}';

  it('returns the Retry-After of a peer that pushes back', async () => {
    const receiver = await peer((_, response) => {
      response.writeHead(429, { 'content-type': 'application/json', 'retry-after': '7' });
      response.end('{"error":"rate_limited"}');
    });
    const answer = await transport.post(`${receiver.url}/api/talkto/receive`, [], body, 5_000);
    expect(answer).toEqual({ status: 429, body: '{"error":"rate_limited"}', retryAfter: '7' });
  });

  it('posts the body bytes with the given headers and returns the status and body', async () => {
    const receiver = await peer((_, response) => {
      response.writeHead(202, { 'content-type': 'application/json' });
      response.end('{"accepted":true}');
    });
    const answer = await transport.post(
      `${receiver.url}/api/talkto/receive`,
      [
        ['content-type', 'application/json'],
        ['x-talkto-source', 'inventory'],
      ],
      body,
      5_000,
    );
    expect(answer).toEqual({ status: 202, body: '{"accepted":true}', retryAfter: null });
    expect(receiver.seen).toEqual([
      expect.objectContaining({ method: 'POST', url: '/api/talkto/receive', body }),
    ]);
    expect(receiver.seen[0]!.headers).toMatchObject({
      'content-type': 'application/json',
      'x-talkto-source': 'inventory',
    });
  });

  it('follows a 307 redirect with the same method and body (PROTOCOL §10)', async () => {
    const receiver = await peer((_, response) => {
      response.writeHead(202, { 'content-type': 'application/json' });
      response.end('{"accepted":true}');
    });
    const moved = await peer((_, response) => {
      response.writeHead(307, { location: `${receiver.url}/moved/receive` });
      response.end();
    });
    const answer = await transport.post(`${moved.url}/api/talkto/receive`, [], body, 5_000);
    expect(answer.status).toBe(202);
    expect(receiver.seen).toEqual([expect.objectContaining({ method: 'POST', url: '/moved/receive', body })]);
  });

  it('gives up with a TimeoutError when the peer does not answer in time', async () => {
    const silent = await peer(() => undefined);
    const started = Date.now();
    await expect(transport.post(`${silent.url}/api/talkto/receive`, [], body, 300)).rejects.toMatchObject({
      name: 'TimeoutError',
    });
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(silent.seen).toHaveLength(1);
  });
});

describe('a send to a peer that does not answer in time', () => {
  let context: ReliabilityContext;
  let silent: Server;

  beforeAll(async () => {
    const started = await startPeer(() => undefined);
    silent = started.server;
    context = await startReliabilityContext('sqlite', {
      retry: { maxAttempts: 3, backoffSeconds: [60] },
      outgoing: { ledger: { baseUrl: started.url, secret: 'ledger-secret', timeoutSeconds: 0.3 } },
    });
  });

  afterAll(async () => {
    await context?.close();
    if (silent) await stopPeer(silent);
  });

  it('is a transport failure with the error named, and waits for its retry', async () => {
    const sent = await context.module.get(TalktoClient).send('ledger', 'entry.create', { n: 1 });
    await (context.module.get(TALKTO_QUEUE_DRIVER) as InProcessQueueDriver).drain();
    const message = await context.dataSource.manager.findOneByOrFail(TalktoMessageEntity, {
      messageId: sent.messageId,
    });
    expect(message).toMatchObject({
      overallStatus: 'failed_retryable',
      transportStatus: 'failed',
      attempts: 1,
    });
    expect(message.lastError).toMatch(/^HTTP transport failed: /);
    expect(message.nextRetryAt).not.toBeNull();
    const attempts = await context.dataSource.manager.findBy(TalktoAttemptEntity, {
      talktoMessageId: message.id,
    });
    expect(attempts.map((attempt) => [attempt.status, attempt.errorClass])).toEqual([
      ['failed_retryable', 'TimeoutError'],
    ]);
  });
});
