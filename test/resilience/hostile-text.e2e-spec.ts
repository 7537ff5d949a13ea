import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Injectable } from '@nestjs/common';
import fc from 'fast-check';
import { type IncomingMessage, TalktoClient, TalktoHandler } from '../../lib/index.js';
import { TalktoMessageEntity } from '../../lib/persistence/entities/message.entity.js';
import { freezePayload } from '../../lib/protocol/json/payload-freezer.js';
import { checkedV2SigningString, signTalkto } from '../../lib/protocol/signature.signer.js';
import { formatTalktoTimestamp } from '../../lib/protocol/talkto.timestamp.js';
import { DATABASE_KINDS } from '../support/databases.js';
import { freePort } from '../support/free-port.js';
import { type RunningTalktoApp, startTalktoApp } from '../support/talkto-app.js';
import { waitFor } from '../support/wait-for.js';
import { RecordingLogger } from './fixtures/recording-logger.js';

/**
 * NUL characters and invalid UTF-8 where a correctly signed request or a peer's answer may carry
 * them: never a 5xx, never a row left behind, the same answer on every engine, and no statement
 * parameters in the logs.
 */

const SECRET = 'hostile-text-secret-0123456789abcdef';
const FUZZ_CASES = Number(process.env.TALKTO_HOSTILE_TEXT_CASES ?? 120);
/** Text a stored row may never hold raw, and invalid UTF-8 (spliced in as bytes). */
const HOSTILE = ['\u0000', 'a\u0000b', '\u0000'.repeat(3), '\ud800', 'x\udfffy', '\u0007\u001b', '\ufffe'];
const RAW_BYTES = [[0xff], [0xc3], [0xed, 0xa0, 0x80], [0xc0, 0x80], [0x00]];
/** Body fields a signer does not sign: a NUL there still comes with a valid signature. */
const UNSIGNED_TEXT = [
  'correlation_id',
  'parent_message_id',
  'business_key',
  'idempotency_key',
  'created_at',
];
const SIGNED_TEXT = ['message_id', 'source', 'target', 'command', 'payload_hash'];

@Injectable()
@TalktoHandler('orders.echo')
class EchoHandler {
  handle(payload: unknown, message: IncomingMessage) {
    return { echoed: payload, key: message.businessKey };
  }
}

interface Envelope {
  [field: string]: unknown;
}

/**
 * A request signed with the receiver's secret over whatever the fields hold (the identifier rule
 * is the receiver's to apply); `raw` bytes replace the text `@RAW@` in the body.
 */
function signedRequest(
  overrides: Envelope = {},
  raw?: number[],
): { headers: Record<string, string>; body: Buffer } {
  const payload = (overrides.payload as unknown) ?? { sku: 'h-1' };
  // A payload no JSON encoder of ours writes (a lone surrogate) goes as JSON.stringify escapes it.
  const frozen = frozenOrRaw(payload);
  const envelope: Envelope = {
    protocol_version: 2,
    message_id: randomUUID(),
    correlation_id: randomUUID(),
    parent_message_id: null,
    source: 'inventory',
    target: 'website',
    command: 'orders.echo',
    business_key: 'order:1',
    idempotency_key: null,
    schema_version: 1,
    created_at: null,
    payload_hash: frozen.hash,
    ...overrides,
    payload: JSON.parse(frozen.json) as unknown,
  };
  const timestamp = formatTalktoTimestamp(new Date());
  const nonce = randomUUID();
  const signature = signTalkto(
    SECRET,
    checkedV2SigningString({
      timestamp,
      nonce,
      message_id: String(envelope.message_id),
      source: String(envelope.source),
      target: String(envelope.target),
      command: String(envelope.command),
      payload_hash: String(envelope.payload_hash),
    }),
  );
  const text = JSON.stringify(envelope);
  const at = text.indexOf('@RAW@');
  const body =
    raw === undefined || at < 0
      ? Buffer.from(text, 'utf8')
      : Buffer.concat([
          Buffer.from(text.slice(0, at), 'utf8'),
          Buffer.from(raw),
          Buffer.from(text.slice(at + 5), 'utf8'),
        ]);
  return {
    headers: {
      'content-type': 'application/json',
      'x-talkto-signature': signature,
      'x-talkto-timestamp': timestamp,
      'x-talkto-message-id': String(envelope.message_id).replace(/[^\x20-\x7e]/g, '?'),
      'x-talkto-protocol-version': '2',
      'x-talkto-signature-version': 'v2',
      'x-talkto-payload-hash': String(envelope.payload_hash).replace(/[^\x20-\x7e]/g, '?'),
      'x-talkto-nonce': nonce,
    },
    body,
  };
}

function frozenOrRaw(payload: unknown): { json: string; hash: string } {
  try {
    return freezePayload(payload);
  } catch {
    return { json: JSON.stringify(payload), hash: 'f'.repeat(64) };
  }
}

async function post(url: string, request: { headers: Record<string, string>; body: Buffer }) {
  const response = await fetch(url, { method: 'POST', headers: request.headers, body: request.body });
  const text = await response.text();
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // The status is what is judged then.
  }
  return { status: response.status, json, text };
}

/** A peer that answers each request by the case key in its payload, and counts the requests. */
class ScriptedPeer {
  readonly requests: string[] = [];
  private readonly answers = new Map<string, { status: number; type: string; body: Buffer }>();
  private server!: Server;
  port = 0;

  async start(): Promise<void> {
    this.port = await freePort();
    this.server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        this.requests.push(body);
        const answer = [...this.answers].find(([key]) => body.includes(key))?.[1];
        response.writeHead(answer?.status ?? 500, { 'content-type': answer?.type ?? 'text/plain' });
        response.end(answer?.body ?? '');
      });
    });
    await new Promise<void>((resolve) => this.server.listen(this.port, '127.0.0.1', resolve));
  }

  answer(key: string, status: number, type: string, body: Buffer): void {
    this.answers.set(key, { status, type, body });
  }

  requestsFor(key: string): number {
    return this.requests.filter((body) => body.includes(key)).length;
  }

  async close(): Promise<void> {
    await new Promise((resolve) => this.server?.close(resolve));
  }
}

/** Makes the next insert of a message with this business key fail, as a broken database would. */
async function refuseBusinessKey(app: RunningTalktoApp, key: string): Promise<() => Promise<void>> {
  const { dataSource } = app;
  if (dataSource.options.type === 'better-sqlite3') {
    await dataSource.query(
      `CREATE TRIGGER talkto_refuse BEFORE INSERT ON talkto_messages WHEN NEW.business_key = '${key}' ` +
        `BEGIN SELECT RAISE(ABORT, 'refused by the test'); END`,
    );
    return async () => void (await dataSource.query('DROP TRIGGER talkto_refuse'));
  }
  await dataSource.query(
    `ALTER TABLE talkto_messages ADD CONSTRAINT talkto_refuse CHECK (business_key IS NULL OR business_key <> '${key}')`,
  );
  return async () =>
    void (await dataSource.query('ALTER TABLE talkto_messages DROP CONSTRAINT talkto_refuse'));
}

describe.each(DATABASE_KINDS)('hostile text on %s', (database) => {
  let website: RunningTalktoApp;
  let inventory: RunningTalktoApp;
  let peer: ScriptedPeer;
  let receiveUrl: string;
  const logs = new RecordingLogger();

  beforeAll(async () => {
    peer = new ScriptedPeer();
    await peer.start();
    website = await startTalktoApp({
      database,
      queue: 'in-process',
      adapter: 'express',
      port: await freePort(),
      providers: [EchoHandler],
      logger: logs,
      talkto: {
        service: 'website',
        incoming: { inventory: { secret: SECRET, allowedCommands: ['orders.echo'] } },
        callbacks: { enabled: false },
      },
    });
    receiveUrl = `${website.url}/api/talkto/receive`;
    inventory = await startTalktoApp({
      database,
      queue: 'in-process',
      adapter: 'express',
      port: await freePort(),
      logger: logs,
      talkto: {
        service: 'inventory',
        outgoing: { peer: { baseUrl: `http://127.0.0.1:${peer.port}`, secret: SECRET } },
        retry: { maxAttempts: 1 },
      },
    });
  });

  afterAll(async () => {
    await inventory?.close();
    await website?.close();
    await peer?.close();
  });

  const incoming = (messageId: string) =>
    website.dataSource.getRepository(TalktoMessageEntity).findOneBy({ messageId, direction: 'incoming' });
  const outgoing = (messageId: string) =>
    inventory.dataSource.getRepository(TalktoMessageEntity).findOneBy({ messageId, direction: 'outgoing' });

  it.each(['business_key', 'idempotency_key'])(
    'refuses a NUL in %s of a correctly signed request with 422 invalid_envelope_field naming the field',
    async (field) => {
      const request = signedRequest({ [field]: `key\u0000${randomUUID()}` });
      const messageId = JSON.parse(request.body.toString('utf8')).message_id as string;
      const answer = await post(receiveUrl, request);
      expect({ status: answer.status, body: answer.json }).toEqual({
        status: 422,
        body: { received: false, status: 'rejected', error: 'invalid_envelope_field', field },
      });
      expect(await incoming(messageId)).toBeNull();
    },
  );

  it('answers every correctly signed request carrying a NUL or invalid UTF-8 in a text field below 500, and handles what it accepts', async () => {
    const fields = [...UNSIGNED_TEXT, ...SIGNED_TEXT, 'payload.value', 'payload.key'];
    const accepted: string[] = [];
    const failures: string[] = [];
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...fields),
        fc.oneof(
          fc.constantFrom(...HOSTILE).map((text) => ({ text, raw: undefined as number[] | undefined })),
          fc.constantFrom(...RAW_BYTES).map((raw) => ({ text: '@RAW@', raw })),
        ),
        async (field, { text, raw }) => {
          const value = `v${text}${randomUUID().slice(0, 8)}`;
          const overrides: Envelope =
            field === 'payload.value'
              ? { payload: { note: value } }
              : field === 'payload.key'
                ? { payload: { [value]: 1 } }
                : { [field]: value };
          const request = signedRequest(overrides, raw);
          const answer = await post(receiveUrl, request);
          if (answer.status >= 500)
            failures.push(`${field} ${JSON.stringify(text)} → ${answer.status} ${answer.text}`);
          if (answer.status === 202) accepted.push(String(answer.json.message_id));
        },
      ),
      { numRuns: FUZZ_CASES },
    );
    expect(failures).toEqual([]);
    // Nothing accepted is left behind: each reaches its handler's outcome.
    for (const messageId of accepted) {
      await waitFor(
        async () => (await incoming(messageId))?.overallStatus === 'succeeded',
        `${messageId} handled`,
      );
    }
  });

  it('logs no statement parameters when storing a request fails', async () => {
    const marker = `secret-payload-${randomUUID()}`;
    const restore = await refuseBusinessKey(website, 'refuse-me');
    let status: number;
    try {
      status = (await post(receiveUrl, signedRequest({ business_key: 'refuse-me', payload: { marker } })))
        .status;
    } finally {
      await restore();
    }
    expect(status).toBe(500);
    expect(logs.lines.filter((line) => line.includes(marker))).toEqual([]);
  });

  const peerAnswers: Array<[string, number, string, Buffer]> = [
    [
      'an HTML page with a NUL and invalid UTF-8',
      200,
      'text/html',
      Buffer.from('<html>\u0000\xff garbage', 'latin1'),
    ],
    [
      'JSON whose status holds a NUL and runs long',
      202,
      'application/json',
      Buffer.from(JSON.stringify({ received: true, status: `queued\u0000${'x'.repeat(300)}` })),
    ],
    ['a server error with a NUL', 500, 'text/plain', Buffer.from('boom\u0000\ud800 end')],
    [
      'raw bytes that are not text at all',
      200,
      'application/octet-stream',
      Buffer.from([0, 0xff, 0xfe, 0xc3, 0x28, 0]),
    ],
  ];

  it.each(peerAnswers)('records %s once, sanitised, and moves on', async (_what, status, type, body) => {
    const key = `case-${randomUUID()}`;
    peer.answer(key, status, type, body);
    const sent = await inventory.app.get(TalktoClient).send('peer', 'orders.echo', { key });
    const row = await waitFor(async () => {
      const current = await outgoing(sent.messageId);
      return current && !['waiting_to_send', 'sending'].includes(current.overallStatus) ? current : undefined;
    }, `${sent.messageId} to leave sending`);
    expect(peer.requestsFor(key)).toBe(1);
    expect(row.lastHttpStatus).toBe(status);
    expect(row.lastResponse ?? '').not.toContain('\u0000');
    expect(row.destinationActionStatus ?? '').not.toContain('\u0000');
    expect(row.overallStatus).toBe(
      status >= 400 ? 'failed_final' : status === 202 ? 'destination_received' : 'sent',
    );
  });
});
