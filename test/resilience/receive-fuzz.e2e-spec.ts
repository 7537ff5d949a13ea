import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Agent } from 'node:http';
import fc from 'fast-check';
import { TalktoMessageEntity } from '../../lib/persistence/entities/message.entity.js';
import { TalktoNonceEntity } from '../../lib/persistence/entities/nonce.entity.js';
import { freePort } from '../support/free-port.js';
import { type HttpAdapterKind, type RunningTalktoApp, startTalktoApp } from '../support/talkto-app.js';
import { type HttpAnswer, sendHttp, sendRawBytes } from './fixtures/raw-http.js';
import { RecordingLogger } from './fixtures/recording-logger.js';
import { signOnce } from './fixtures/signed-bytes.js';

const SECRET = 'fuzz-incoming-secret-Zq7w1x9c3v5b';
const OUTGOING_SECRET = 'fuzz-outgoing-secret-Pk2m4n6b8v0c';
const ATTACKER_SECRET = 'not-the-secret-at-all-000000000000';
const SECRETS = [SECRET, OUTGOING_SECRET];
/** Generated cases per adapter: 2 adapters × 5,000 on the receive route, half that on the callback route. */
const RECEIVE_CASES = Number(process.env.TALKTO_FUZZ_CASES ?? 5_000);
const BATCH = 64;

/** Every `error` a command route may answer with, and its status (PROTOCOL §8.2, §8.3). */
const COMMAND_ERRORS = new Map<string, number>([
  ...['unsupported_signature_version', 'missing_signature_header', 'invalid_signature'].map(
    (code) => [code, 401] as const,
  ),
  ...['timestamp_outside_tolerance', 'missing_nonce', 'missing_timestamp'].map(
    (code) => [code, 401] as const,
  ),
  ...['unknown_source', 'wrong_target', 'command_not_allowed', 'missing_source_secret'].map(
    (code) => [code, 403] as const,
  ),
  ['replay_nonce_reused', 409],
  ...[
    'invalid_json',
    'validation_failed',
    'missing_required_field',
    'invalid_envelope_field',
    'invalid_header_value_count',
    'missing_idempotency_key',
    'payload_hash_mismatch',
  ].map((code) => [code, 422] as const),
]);

/** The callback route's codes (PROTOCOL §11.5): the command codes plus its own. */
const CALLBACK_ERRORS = new Map<string, number>([
  ...COMMAND_ERRORS,
  ['callbacks_disabled', 403],
  ['callback_relationship_mismatch', 403],
  ['callback_original_command_mismatch', 403],
  ['callback_parent_message_mismatch', 403],
  ['original_message_not_found', 404],
  ['invalid_callback_status', 422],
]);

const ENVELOPE_FIELDS = [
  'message_id',
  'source',
  'target',
  'command',
  'payload_hash',
  'protocol_version',
  'correlation_id',
  'parent_message_id',
  'business_key',
  'idempotency_key',
  'schema_version',
  'created_at',
  'payload',
];
const PROTOCOL_HEADERS = [
  'X-Talkto-Signature',
  'X-Talkto-Timestamp',
  'X-Talkto-Message-Id',
  'X-Talkto-Protocol-Version',
  'X-Talkto-Signature-Version',
  'X-Talkto-Payload-Hash',
  'X-Talkto-Nonce',
];
const CONTENT_TYPES = [
  'application/json',
  'application/json; charset=utf-8',
  'APPLICATION/JSON',
  'application/vnd.talkto+json',
  'application/problem+json; charset=latin1',
  'text/plain',
  'text/json',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/octet-stream',
  'application/xml',
  '',
];

interface FuzzRequest {
  kind: string;
  headers: Array<[string, string]>;
  body: Buffer;
}

/** A correctly shaped request for the route, signed with the given secret. */
function baseRequest(
  route: 'receive' | 'callback',
  secret: string,
): { headers: Array<[string, string]>; body: Record<string, unknown> } {
  const signed = signOnce({
    secret,
    source: 'inventory',
    target: 'website',
    command: route === 'receive' ? 'orders.fuzz' : 'talkto.result',
    payload:
      route === 'receive'
        ? { sku: 'fz-1', quantity: 2 }
        : {
            original_message_id: 'original-1',
            original_command: 'orders.fuzz',
            status: 'succeeded',
            succeeded: true,
            retryable: false,
            skipped: false,
            result: null,
            meta: null,
          },
  });
  return { headers: signed.headers, body: JSON.parse(signed.body) as Record<string, unknown> };
}

const hostileString = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({
    unit: fc.constantFrom('\u0000', '\u0007', '\n', '\r', '\u001b', '\u007f', '\ufeff', 'é', '\ud800'),
    maxLength: 12,
  }),
  fc.constantFrom('', ' ', '0', '1e400', '-1e999', 'null', '__proto__', 'constructor', 'a'.repeat(5000)),
);
const hostileValue = fc.oneof(
  hostileString,
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 4 }),
  fc.dictionary(hostileString, fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }),
);

/** A JSON text with raw bytes spliced in where strings are, so some are invalid UTF-8 or bare controls. */
function spliceBytes(json: string, bytes: number[], at: number): Buffer {
  const source = Buffer.from(json, 'utf8');
  const index = Math.min(at, source.length);
  return Buffer.concat([source.subarray(0, index), Buffer.from(bytes), source.subarray(index)]);
}

function requestArbitrary(route: 'receive' | 'callback'): fc.Arbitrary<FuzzRequest> {
  const attacker = baseRequest(route, ATTACKER_SECRET);
  const genuine = baseRequest(route, SECRET);
  const json = (body: unknown) => Buffer.from(JSON.stringify(body), 'utf8');

  const brokenJson = fc
    .oneof(
      fc.string({ unit: 'binary', maxLength: 200 }).map((text) => Buffer.from(text, 'utf8')),
      fc.nat({ max: 400 }).map((cut) => json(attacker.body).subarray(0, cut)),
      fc.constantFrom(
        '',
        '[]',
        '[1,2]',
        'null',
        '"text"',
        '42',
        '{',
        '{"a":1,}',
        "{'a':1}",
        '{"a":1}{"b":2}',
        '\ufeff{}',
      ),
    )
    .map((body) => ({ kind: 'broken_json', headers: attacker.headers, body: Buffer.from(body) }));

  const wrongType = fc
    .tuple(
      fc.constantFrom(
        ...ENVELOPE_FIELDS,
        'payload.original_message_id',
        'payload.status',
        'payload.succeeded',
        'extra',
      ),
      hostileValue,
      fc.boolean(),
    )
    .map(([field, value, drop]) => {
      const body = structuredClone(attacker.body);
      const [top, inner] = field.split('.');
      const holder =
        inner && typeof body[top] === 'object' && body[top] !== null
          ? (body[top] as Record<string, unknown>)
          : body;
      const key = inner ?? top;
      if (drop) delete holder[key];
      else holder[key] = value;
      return { kind: 'wrong_type', headers: attacker.headers, body: json(body) };
    });

  const badHeaders = fc
    .tuple(
      fc.constantFrom(...PROTOCOL_HEADERS, 'Content-Type'),
      fc.constantFrom('drop', 'duplicate', 'replace', 'case_twin'),
      fc.string({
        unit: fc
          .integer({ min: 0x20, max: 0xfe })
          .map((code) => String.fromCharCode(code === 0x7f ? 0xff : code)),
        maxLength: 80,
      }),
    )
    .map(([name, action, value]) => {
      const base = attacker.headers.filter(([key]) => key.toLowerCase() !== name.toLowerCase());
      const original = attacker.headers.find(([key]) => key.toLowerCase() === name.toLowerCase());
      const extra: Array<[string, string]> =
        action === 'drop'
          ? []
          : action === 'duplicate'
            ? [original ?? [name, value], [name, value]]
            : action === 'case_twin'
              ? [original ?? [name, value], [name.toLowerCase(), value]]
              : [[name, value]];
      return { kind: 'bad_headers', headers: [...base, ...extra], body: json(attacker.body) };
    });

  const wrongSignature = fc
    .oneof(
      fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: 64, maxLength: 64 }),
      fc.string({ maxLength: 100 }),
      fc.constant(signatureOf(genuine.headers).toUpperCase()),
      fc.constant(`${signatureOf(genuine.headers)}0`),
      fc.constant(`sha256=${signatureOf(genuine.headers)}`),
    )
    // HTTP strips surrounding blanks from header values: a padded genuine signature is genuine.
    .filter((signature) => signature.replace(/^[ \t]+|[ \t]+$/g, '') !== signatureOf(genuine.headers))
    .map((signature) => ({
      kind: 'wrong_signature',
      headers: genuine.headers.map(([key, value]): [string, string] =>
        key === 'X-Talkto-Signature' ? [key, signature] : [key, value],
      ),
      body: json(genuine.body),
    }));

  const controlBytes = fc
    .tuple(fc.array(fc.integer({ min: 0, max: 0xff }), { minLength: 1, maxLength: 6 }), fc.nat({ max: 600 }))
    .map(([bytes, at]) => ({
      kind: 'control_bytes',
      headers: attacker.headers,
      body: spliceBytes(JSON.stringify(attacker.body), bytes, at),
    }));

  const contentType = fc.tuple(fc.constantFrom(...CONTENT_TYPES), fc.boolean()).map(([type, jsonBody]) => ({
    kind: 'content_type',
    headers: [
      ...attacker.headers.filter(([key]) => key !== 'Content-Type'),
      ...(type ? [['Content-Type', type] as [string, string]] : []),
    ],
    body: jsonBody ? json(attacker.body) : Buffer.from('message_id=a&source=inventory&target=website'),
  }));

  return fc.oneof(
    { arbitrary: brokenJson, weight: 3 },
    { arbitrary: wrongType, weight: 5 },
    { arbitrary: badHeaders, weight: 4 },
    { arbitrary: wrongSignature, weight: 2 },
    { arbitrary: controlBytes, weight: 3 },
    { arbitrary: contentType, weight: 2 },
  );
}

function signatureOf(headers: Array<[string, string]>): string {
  return headers.find(([key]) => key === 'X-Talkto-Signature')?.[1] ?? '';
}

/** Bodies too big or too deep for any honest peer: built once, not by the fuzzer. */
function monsterBodies(route: 'receive' | 'callback'): FuzzRequest[] {
  const attacker = baseRequest(route, ATTACKER_SECRET);
  const withPayload = (payload: string) =>
    Buffer.from(JSON.stringify({ ...attacker.body, payload: '__P__' }).replace('"__P__"', payload));
  const deep = (depth: number, open: string, close: string, inner = '') =>
    open.repeat(depth) + inner + close.repeat(depth);
  const bodies = [
    withPayload(deep(600, '[', ']')),
    withPayload(deep(600, '{"a":', '}', '1')),
    withPayload(deep(500, '{"a":', '}', '1')),
    withPayload(`[${deep(100_000, '[', ']')}]`),
    withPayload(`{"v":1e400}`),
    withPayload(`{"v":-1e999,"w":[1e400]}`),
    withPayload(`[${'1,'.repeat(50_000)}1]`),
    withPayload(JSON.stringify({ long: 'x'.repeat(90_000) })),
    withPayload(JSON.stringify({ long: 'x'.repeat(3_000_000) })),
    withPayload(`{${Array.from({ length: 5_000 }, (_, i) => `"k${i}":${i}`).join(',')}}`),
    withPayload(`{"a":1,"a":2,"__proto__":{"polluted":true}}`),
    Buffer.from(`{"message_id":"${'m'.repeat(2_000_000)}"}`),
  ];
  return bodies.map((body) => ({ kind: 'monster', headers: attacker.headers, body }));
}

/** Requests the HTTP client cannot produce: control characters in header lines, broken framing. */
function rawSocketRequests(path: string, port: number): Buffer[] {
  const body = Buffer.from(JSON.stringify(baseRequest('receive', ATTACKER_SECRET).body));
  const head = (extra: string, length = body.length) =>
    Buffer.concat([
      Buffer.from(
        `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\nContent-Type: application/json\r\n${extra}Content-Length: ${length}\r\n\r\n`,
        'latin1',
      ),
      body,
    ]);
  const controls = [0x00, 0x01, 0x07, 0x08, 0x0b, 0x0c, 0x0e, 0x1b, 0x1f, 0x7f];
  return [
    ...controls.map((code) => head(`X-Talkto-Signature: ab${String.fromCharCode(code)}cd\r\n`)),
    ...controls.map((code) => head(`X-Talkto-Nonce: n${String.fromCharCode(code)}\r\n`)),
    head('X-Talkto-Message-Id: \xff\xfe\xc3\x28\r\n'),
    head('X-Talkto-Timestamp: \xe2\x82\r\nX-Talkto-Timestamp: 1\r\n'),
    head('X-Talkto-Bad Name: 1\r\n'),
    head('Content-Length: 3\r\n'),
    head('Transfer-Encoding: chunked\r\n'),
    head('', body.length + 50).subarray(0, -1),
  ];
}

const ADAPTERS: HttpAdapterKind[] = ['express', 'fastify'];

describe.each(ADAPTERS)('hostile requests against a receiver over %s', (adapter) => {
  let receiver: RunningTalktoApp;
  let logger: RecordingLogger;
  let agent: Agent;
  let port: number;

  beforeAll(async () => {
    port = await freePort();
    receiver = await startTalktoApp({
      database: 'sqlite',
      queue: 'in-process',
      adapter,
      port,
      talkto: {
        service: 'website',
        incoming: {
          inventory: {
            secret: SECRET,
            allowedCommands: { 'orders.fuzz': { driver: 'none' }, 'talkto.result': { driver: 'none' } },
          },
        },
        outgoing: { inventory: { baseUrl: 'http://127.0.0.1:9', secret: OUTGOING_SECRET } },
        // The limiter would answer most of the flood with 429 before the pipeline sees it.
        rateLimit: { enabled: false },
      },
    });
    logger = new RecordingLogger();
    receiver.app.useLogger(logger);
    agent = new Agent({ keepAlive: true, maxSockets: 32 });
  });

  afterAll(async () => {
    agent?.destroy();
    await receiver?.close();
  });

  async function fire(path: string, requests: FuzzRequest[]): Promise<Array<HttpAnswer & { kind: string }>> {
    const url = new URL(`http://127.0.0.1:${port}${path}`);
    const answers: Array<HttpAnswer & { kind: string }> = [];
    for (let start = 0; start < requests.length; start += BATCH) {
      const batch = requests.slice(start, start + BATCH);
      const settled = await Promise.all(
        batch.map(async (request) => ({
          kind: request.kind,
          ...(await sendHttp(agent, url, request.headers, request.body)),
        })),
      );
      answers.push(...settled);
    }
    return answers;
  }

  /** Checks one answer against the documented shapes; returns a problem, or null. */
  function problemWith(answer: HttpAnswer & { kind: string }, codes: Map<string, number>): string | null {
    if (answer.status >= 500 || answer.status < 400) return `status ${answer.status}`;
    for (const secret of SECRETS) {
      if (answer.text.includes(secret) || answer.text.includes(secret.slice(0, 12)))
        return 'secret in answer';
    }
    if (answer.status === 413) return null; // the host's body size limit, before any Talkto code runs
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(answer.text) as Record<string, unknown>;
    } catch {
      return `non-JSON ${answer.status}`;
    }
    const expected = codes.get(String(body.error));
    if (expected === undefined) return `undocumented error ${String(body.error)}`;
    if (expected !== answer.status) return `${String(body.error)} answered with ${answer.status}`;
    return null;
  }

  const routes: Array<['receive' | 'callback', string, Map<string, number>]> = [
    ['receive', '/api/talkto/receive', COMMAND_ERRORS],
    ['callback', '/api/talkto/callback', CALLBACK_ERRORS],
  ];

  it.each(routes)(
    'answers every hostile %s request with a documented 4xx and stores nothing',
    async (route, path, codes) => {
      const probe = await sendHttp(
        agent,
        new URL(`http://127.0.0.1:${port}${path}`),
        [['Content-Type', 'application/json']],
        Buffer.from('{}'),
      );
      if (probe.status === 404) {
        console.log(`[resilience] fuzz ${adapter} ${route}: route not mounted, skipped`);
        return;
      }
      const started = Date.now();
      const generated = fc.sample(requestArbitrary(route), {
        numRuns: route === 'receive' ? RECEIVE_CASES : Math.ceil(RECEIVE_CASES / 2),
        seed: 20_240_611,
      });
      const requests = [...generated, ...monsterBodies(route)];
      const answers = await fire(path, requests);
      const raw =
        route === 'receive'
          ? await Promise.all(rawSocketRequests(path, port).map((bytes) => sendRawBytes(port, bytes)))
          : [];

      const problems = answers
        .map((answer, index) => ({ problem: problemWith(answer, codes), answer, request: requests[index] }))
        .filter((entry) => entry.problem !== null);
      const problemTally: Record<string, number> = {};
      for (const { problem, request } of problems) {
        const key = `${request.kind}: ${problem}`;
        problemTally[key] = (problemTally[key] ?? 0) + 1;
      }
      expect({
        problemTally,
        firstProblems: [
          ...new Map(problems.map((entry) => [`${entry.request.kind}: ${entry.problem}`, entry])).values(),
        ].map(({ problem, answer, request }) => ({
          problem,
          kind: request.kind,
          answer: answer.text.slice(0, 200),
          body: request.body.subarray(0, 200).toString('latin1'),
          headers: request.headers.filter(([key]) => !key.toLowerCase().startsWith('x-talkto-')),
        })),
      }).toEqual({ problemTally: {}, firstProblems: [] });
      // The HTTP parser may refuse raw garbage (400) before Nest sees it; it must never be a 5xx.
      expect(
        raw.filter((answer) => answer.status >= 500 || answer.status === 0).map((answer) => answer.status),
      ).toEqual([]);
      expect(await receiver.dataSource.getRepository(TalktoMessageEntity).count()).toBe(0);
      expect(await receiver.dataSource.getRepository(TalktoNonceEntity).count()).toBe(0);
      const leaked = logger.lines.filter((line) =>
        SECRETS.some((secret) => line.includes(secret.slice(0, 12))),
      );
      expect(leaked).toEqual([]);

      const byStatus = new Map<number, number>();
      for (const answer of [...answers, ...raw])
        byStatus.set(answer.status, (byStatus.get(answer.status) ?? 0) + 1);
      console.log(
        `[resilience] fuzz ${adapter} ${route}: cases=${answers.length + raw.length} (generated=${generated.length} ` +
          `monsters=${requests.length - generated.length} raw_socket=${raw.length}) 5xx=0 stored=0 ` +
          `statuses=${JSON.stringify(Object.fromEntries(byStatus))} log_lines=${logger.lines.length} secret_leaks=0 ` +
          `ms=${Date.now() - started}`,
      );
    },
  );
});
