import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { TalktoAttemptEntity } from '../../lib/persistence/entities/attempt.entity.js';
import { TalktoMessageEntity } from '../../lib/persistence/entities/message.entity.js';
import { TalktoClient } from '../../lib/index.js';
import { HttpTalktoTransport } from '../../lib/outgoing/http.transport.js';
import { InProcessQueueDriver } from '../../lib/queue/in-process.driver.js';
import { TALKTO_QUEUE_DRIVER } from '../../lib/queue/queue.constants.js';
import { type ReliabilityContext, startReliabilityContext } from '../retry/reliability-context.js';
import { waitFor } from '../support/wait-for.js';
import { underFakeTimers } from '../support/fake-timers.js';

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  /** The header lines as they came, names in their case. */
  rawHeaders: string[];
  body: string;
}

/** A real HTTP peer on 127.0.0.1; `answer` decides each response (or never responds). */
async function startPeer(
  answer: (seen: Seen, response: ServerResponse) => void,
): Promise<{ url: string; seen: Seen[]; server: Server; connections: Socket[] }> {
  const seen: Seen[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const entry = {
        method: request.method ?? '',
        url: request.url ?? '',
        headers: request.headers,
        rawHeaders: request.rawHeaders,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      seen.push(entry);
      answer(entry, response);
    });
  });
  const connections: Socket[] = [];
  server.on('connection', (socket) => connections.push(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen, server, connections };
}

function stopPeer(server: Server): Promise<void> {
  return new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
}

const accept = (_: Seen, response: ServerResponse): void => {
  response.writeHead(202, { 'content-type': 'application/json' });
  response.end('{"accepted":true}');
};

describe('HttpTalktoTransport', () => {
  const transport = new HttpTalktoTransport();
  afterAll(() => transport.onApplicationShutdown());
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

  it('writes the header lines fetch wrote, in their order and case, then the body bytes', async () => {
    const receiver = await peer(accept);
    await transport.post(
      `${receiver.url}/api/talkto/receive?x=1#fragment`,
      [
        ['X-Talkto-Signature', 'abc'],
        ['Content-Type', 'application/json'],
        ['x-extra', ' padded '],
        ['X-Extra', 'again'],
      ],
      body,
      5_000,
    );
    expect(receiver.seen[0]).toMatchObject({ method: 'POST', url: '/api/talkto/receive?x=1', body });
    expect(receiver.seen[0]!.rawHeaders).toEqual([
      ...['host', new URL(receiver.url).host, 'connection', 'keep-alive'],
      ...['X-Talkto-Signature', 'abc', 'Content-Type', 'application/json', 'x-extra', 'padded, again'],
      ...['accept', '*/*', 'accept-language', '*', 'sec-fetch-mode', 'cors', 'user-agent', 'node'],
      ...['accept-encoding', 'gzip, deflate', 'content-length', String(Buffer.byteLength(body))],
    ]);
  });

  it('joins repeated Retry-After lines as one value', async () => {
    const receiver = await peer((_, response) => {
      response.setHeader('retry-after', ['7', '9']);
      response.writeHead(503).end('busy');
    });
    const answer = await transport.post(receiver.url, [], body, 5_000);
    expect(answer).toEqual({ status: 503, body: 'busy', retryAfter: '7, 9' });
  });

  it('reads the answer as response.text() did: gzip undone, a leading BOM dropped', async () => {
    const receiver = await peer((_, response) => {
      response.writeHead(200, { 'content-encoding': 'gzip' });
      response.end(gzipSync('\ufeff{"note":"après"}'));
    });
    const answer = await transport.post(receiver.url, [], body, 5_000);
    expect(answer.body).toBe('{"note":"après"}');
  });

  it.each([307, 308])(
    'follows a %i redirect with the same method, headers and body (PROTOCOL §10)',
    async (status) => {
      const receiver = await peer(accept);
      const moved = await peer((_, response) => {
        response.writeHead(status, { location: `${receiver.url}/moved/receive` });
        response.end();
      });
      const headers: Array<[string, string]> = [['Content-Type', 'application/json']];
      const answer = await transport.post(`${moved.url}/api/talkto/receive`, headers, body, 5_000);
      expect(answer.status).toBe(202);
      expect(receiver.seen).toEqual([
        expect.objectContaining({ method: 'POST', url: '/moved/receive', body }),
      ]);
      expect(receiver.seen[0]!.headers['content-type']).toBe('application/json');
    },
  );

  it.each([301, 302, 303])(
    'turns the POST into a GET without body or body headers on a %i, as fetch does',
    async (status) => {
      const moved = await peer((seen, response) => {
        if (seen.method === 'GET') return accept(seen, response);
        response.writeHead(status, { location: '/elsewhere' }).end();
      });
      const headers: Array<[string, string]> = [
        ['X-Talkto-Message-Id', 'm-1'],
        ['Content-Type', 'application/json'],
      ];
      const answer = await transport.post(`${moved.url}/api/talkto/receive`, headers, body, 5_000);
      expect(answer.status).toBe(202);
      expect(moved.seen.map((seen) => [seen.method, seen.url, seen.body])).toEqual([
        ['POST', '/api/talkto/receive', body],
        ['GET', '/elsewhere', ''],
      ]);
      expect(moved.seen[1]!.headers).toMatchObject({ 'x-talkto-message-id': 'm-1' });
      expect(moved.seen[1]!.headers).not.toHaveProperty('content-type');
      expect(moved.seen[1]!.headers).not.toHaveProperty('content-length');
    },
  );

  it('drops Authorization and Cookie when a redirect leaves the origin, and keeps the Talkto headers', async () => {
    const receiver = await peer(accept);
    const moved = await peer((_, response) => {
      response.writeHead(307, { location: `${receiver.url}/receive` });
      response.end();
    });
    const headers: Array<[string, string]> = [
      ['Authorization', 'Bearer token'],
      ['Cookie', 'session=1'],
      ['X-Talkto-Message-Id', 'm-1'],
    ];
    await transport.post(moved.url, headers, body, 5_000);
    expect(moved.seen[0]!.headers).toMatchObject({ authorization: 'Bearer token', cookie: 'session=1' });
    expect(receiver.seen[0]!.headers).toMatchObject({ 'x-talkto-message-id': 'm-1' });
    expect(receiver.seen[0]!.headers).not.toHaveProperty('authorization');
    expect(receiver.seen[0]!.headers).not.toHaveProperty('cookie');
  });

  it('answers with a redirect that has no Location', async () => {
    const receiver = await peer((_, response) => {
      response.writeHead(302).end('nowhere to go');
    });
    expect(await transport.post(receiver.url, [], body, 5_000)).toEqual({
      status: 302,
      body: 'nowhere to go',
      retryAfter: null,
    });
  });

  it('follows at most 20 redirects and rejects the 21st', async () => {
    // `/hops/<n>` redirects to `/hops/<n - 1>` until `/hops/0`, which answers.
    const chain = await peer((seen, response) => {
      const left = Number(seen.url.split('/')[2]);
      if (left === 0) return accept(seen, response);
      response.writeHead(308, { location: `/hops/${left - 1}` }).end();
    });
    expect((await transport.post(`${chain.url}/hops/20`, [], body, 5_000)).status).toBe(202);
    expect(chain.seen).toHaveLength(21);
    await expect(transport.post(`${chain.url}/hops/21`, [], body, 5_000)).rejects.toMatchObject({
      name: 'TypeError',
    });
    expect(chain.seen).toHaveLength(21 + 21);
  });

  it('rejects a redirect to a scheme other than http and https', async () => {
    const moved = await peer((_, response) => {
      response.writeHead(307, { location: 'ftp://127.0.0.1/receive' }).end();
    });
    await expect(transport.post(moved.url, [], body, 5_000)).rejects.toMatchObject({ name: 'TypeError' });
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

  it('gives up with a TimeoutError when the answer starts but its body does not end in time', async () => {
    const stalled = await peer((_, response) => {
      response.writeHead(202, { 'content-length': '100' });
      response.write('{"accepted":');
    });
    await expect(transport.post(stalled.url, [], body, 300)).rejects.toMatchObject({ name: 'TimeoutError' });
  });

  it('gives up with a TimeoutError when the redirect target does not answer in time', async () => {
    const silent = await peer(() => undefined);
    const moved = await peer((_, response) => {
      response.writeHead(307, { location: silent.url }).end();
    });
    await expect(transport.post(moved.url, [], body, 300)).rejects.toMatchObject({ name: 'TimeoutError' });
    expect(silent.seen).toHaveLength(1);
  });

  it('rejects a refused connection with a TypeError that names the cause', async () => {
    const closed = await peer(accept);
    await stopPeer(closed.server);
    const failure = transport.post(closed.url, [], body, 5_000);
    await expect(failure).rejects.toMatchObject({ name: 'TypeError' });
    await expect(failure).rejects.toThrow(/^fetch failed: connect ECONNREFUSED/);
  });

  it('rejects, without sending again, a POST the peer drops on a kept-alive connection', async () => {
    const receiver = await peer((seen, response) => {
      if (seen.body === 'dropped') return response.socket!.destroy();
      accept(seen, response);
    });
    await transport.post(receiver.url, [], 'first', 5_000);
    await expect(transport.post(receiver.url, [], 'dropped', 5_000)).rejects.toThrow(/^fetch failed: /);
    expect((await transport.post(receiver.url, [], 'third', 5_000)).status).toBe(202);
    expect(receiver.seen.map((seen) => seen.body)).toEqual(['first', 'dropped', 'third']);
    expect(receiver.connections).toHaveLength(2);
  });

  it('reuses one connection for posts in a row', async () => {
    const receiver = await peer(accept);
    for (let index = 0; index < 3; index++) await transport.post(receiver.url, [], body, 5_000);
    expect(receiver.connections).toHaveLength(1);
  });

  it("posts on a kept-alive connection under a host test's fake timers", async () => {
    const receiver = await peer(accept);
    await transport.post(receiver.url, [], body, 5_000);
    const answer = await underFakeTimers(() => transport.post(receiver.url, [], body, 5_000));
    expect(answer.status).toBe(202);
    expect(receiver.connections).toHaveLength(1);
  });

  it('does not fail when the peer closes the kept-alive connection right behind its answer', async () => {
    const receiver = await peer((_, response) => {
      response.end('{"accepted":true}', () => response.socket?.end());
    });
    for (let index = 0; index < 20; index++) {
      expect((await transport.post(receiver.url, [], `post ${index}`, 5_000)).status).toBe(200);
    }
    expect(receiver.seen.map((seen) => seen.body)).toEqual(
      Array.from({ length: 20 }, (_, index) => `post ${index}`),
    );
  });

  it('does not fail either when more posts are in flight than it keeps connections to one peer', async () => {
    const receiver = await peer((_, response) => {
      response.end('{"accepted":true}', () => response.socket?.end());
    });
    const bodies = Array.from({ length: 100 }, (_, index) => `post ${index}`);
    const answers = await Promise.all(bodies.map((text) => transport.post(receiver.url, [], text, 10_000)));
    expect(answers.map((answer) => answer.status)).toEqual(bodies.map(() => 200));
    expect(receiver.seen.map((seen) => seen.body).sort()).toEqual([...bodies].sort());
  });
});

describe('HttpTalktoTransport over https', () => {
  let folder: string;
  let server: Server;
  let url: string;

  beforeAll(async () => {
    folder = mkdtempSync(join(tmpdir(), 'talkto-tls-'));
    execFileSync(
      'openssl',
      [
        ...['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1'],
        ...['-subj', '/CN=127.0.0.1', '-keyout', join(folder, 'key.pem'), '-out', join(folder, 'cert.pem')],
      ],
      { stdio: 'ignore' },
    );
    server = createTlsServer(
      { key: readFileSync(join(folder, 'key.pem')), cert: readFileSync(join(folder, 'cert.pem')) },
      (_, response) => response.end('{"accepted":true}'),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/api/talkto/receive`;
  });

  afterAll(async () => {
    if (server) await stopPeer(server);
    rmSync(folder, { recursive: true, force: true });
  });

  it('verifies the peer certificate by default: a self-signed one is refused', async () => {
    const transport = new HttpTalktoTransport();
    await expect(transport.post(url, [], '{}', 5_000)).rejects.toMatchObject({
      name: 'TypeError',
      cause: expect.objectContaining({ code: 'DEPTH_ZERO_SELF_SIGNED_CERT' }),
    });
    transport.onApplicationShutdown();
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

describe('the http transport of an app that closes', () => {
  it('closes its kept-alive connections at shutdown', async () => {
    const started = await startPeer((_, response) => {
      // The peer would keep the connection a minute: only the shutdown can close it this soon.
      response.writeHead(202, { 'content-type': 'application/json', 'keep-alive': 'timeout=60' });
      response.end('{"accepted":true}');
    });
    const context = await startReliabilityContext('sqlite', {
      outgoing: { ledger: { baseUrl: started.url, secret: 'ledger-secret' } },
    });
    try {
      await context.module.get(TalktoClient).send('ledger', 'entry.create', { n: 1 });
      await (context.module.get(TALKTO_QUEUE_DRIVER) as InProcessQueueDriver).drain();
      expect(started.seen).toHaveLength(1);
      expect(started.connections.map((socket) => socket.destroyed)).toEqual([false]);
    } finally {
      await context.close();
    }
    await waitFor(() => started.connections[0]!.destroyed, 'the kept-alive connection to close', 2_000);
    await stopPeer(started.server);
  });
});
