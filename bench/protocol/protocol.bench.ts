/**
 * Protocol bench: the CPU cost of one signed message through the library's own code paths,
 * compared with plain Node baselines measured in the same run (the machine is shared, so only
 * ratios taken side by side mean anything).
 *
 * send    = freezePayload + buildOutgoingRequest (body JSON, canonical hash, v2 HMAC)
 * receive = decodeTalktoJson + validateEnvelopeRequest + verifyEnvelope (re-hash + HMAC check)
 * Baselines: HMAC-SHA256 of the same body bytes; JSON.stringify + HMAC; JSON.parse + HMAC.
 *
 * Run: npm run bench:protocol  (ROUNDS=n and SLICE_MS=n override the defaults)
 */
import { createHmac } from 'node:crypto';
import { type VerifierConfig, verifyEnvelope } from '../../lib/protocol/envelope.verifier.js';
import { decodeTalktoJson } from '../../lib/protocol/json/json-reader.js';
import { freezePayload } from '../../lib/protocol/json/payload-freezer.js';
import { PhpArray } from '../../lib/protocol/json/php-value.js';
import { buildOutgoingRequest } from '../../lib/protocol/outgoing-request.builder.js';
import { validateEnvelopeRequest } from '../../lib/protocol/request.validator.js';
import { parseTalktoTimestamp } from '../../lib/protocol/talkto.timestamp.js';
import { formatRatio, printTable, spread } from '../support/bench-stats.util.js';
import { realisticPayload } from './realistic-payload.util.js';

const ROUNDS = Number(process.env.ROUNDS ?? 9);
const SLICE_MS = Number(process.env.SLICE_MS ?? 150);
const TARGET = 2;

const SECRET = 'inventory-to-website-secret-0123456789';
const TIMESTAMP = '2024-06-11T10:15:30+00:00';
const NOW_UNIX = parseTalktoTimestamp(TIMESTAMP)!;
const ENVELOPE = {
  messageId: '0190a3f2-7c1e-7b4a-9f0e-3d2c1b0a9f8e',
  correlationId: '0190a3f2-7c1e-7b4a-9f0e-000000000001',
  source: 'inventory',
  target: 'website',
  command: 'orders.export',
  timestamp: TIMESTAMP,
  nonce: 'b1946ac9-2b0f-4d3c-8e7a-6f5d4c3b2a19',
};

const VERIFIER: VerifierConfig = {
  service: 'website',
  acceptVersions: ['v2'],
  toleranceSeconds: 300,
  requireSignature: true,
  requireTimestamp: true,
  replayProtection: true,
  requireNonceForV2: true,
  nonceHeader: 'X-Talkto-Nonce',
  signatureVersionHeader: 'X-Talkto-Signature-Version',
  source: (name) =>
    name === 'inventory'
      ? { secrets: [SECRET], isCommandAllowed: () => true, isIdempotencyRequired: () => false }
      : undefined,
};

/** Keeps results observable so the optimiser cannot drop the work. */
let sink = 0;

function hmacHex(data: string | Buffer): string {
  return createHmac('sha256', SECRET).update(data).digest('hex');
}

interface Case {
  name: string;
  run(): void;
}

function casesFor(payload: Record<string, unknown>) {
  const sample = buildOutgoingRequest({
    ...ENVELOPE,
    payload: freezePayload(payload).value,
    payloadHash: freezePayload(payload).hash,
    secret: SECRET,
    signatureVersion: 'v2',
  });
  const bodyBytes = Buffer.from(sample.body, 'utf8');
  // Node's http layer hands header names over lowercased.
  const headers = Object.fromEntries(sample.headers.map(([name, value]) => [name.toLowerCase(), value]));

  const send: Case = {
    name: 'send: freezePayload + buildOutgoingRequest',
    run() {
      const frozen = freezePayload(payload);
      // Object.assign, not a leading spread: on Node 20 that spread alone costs ~5 µs here.
      const request = buildOutgoingRequest(
        Object.assign({}, ENVELOPE, {
          payloadJson: frozen.json,
          payloadHash: frozen.hash,
          secret: SECRET,
          signatureVersion: 'v2' as const,
        }),
      );
      sink += request.body.length;
    },
  };
  const sendBaseline: Case = {
    name: 'send baseline: JSON.stringify + HMAC',
    run() {
      const body = JSON.stringify(Object.assign({}, ENVELOPE, { payload }));
      sink += hmacHex(body).length + body.length;
    },
  };
  const receive: Case = {
    name: 'receive: decode + validate + verify',
    run() {
      const body = decodeTalktoJson(bodyBytes, { rejectNulPropertyNames: true }) as PhpArray;
      validateEnvelopeRequest(body, 'command');
      sink += verifyEnvelope({ body, headers }, VERIFIER, NOW_UNIX).payloadHash.length;
    },
  };
  const receiveBaseline: Case = {
    name: 'receive baseline: JSON.parse + HMAC',
    run() {
      const parsed = JSON.parse(bodyBytes.toString('utf8')) as object;
      sink += hmacHex(bodyBytes).length + Object.keys(parsed).length;
    },
  };
  const rawHmac: Case = {
    name: 'raw HMAC-SHA256 of the body bytes',
    run() {
      sink += hmacHex(bodyBytes).length;
    },
  };
  // Fail loudly before measuring if the library path rejects its own request.
  receive.run();
  return { bodyBytes: bodyBytes.length, cases: [send, sendBaseline, receive, receiveBaseline, rawHmac] };
}

/** Calls per batch so one batch takes about `BATCH_MS` (measured once, after a warm-up). */
const BATCH_MS = 2;

function calibrate(item: Case): number {
  const until = performance.now() + SLICE_MS; // warm-up: let the JIT settle
  let calls = 0;
  while (performance.now() < until) {
    item.run();
    calls++;
  }
  return Math.max(1, Math.round((calls * BATCH_MS) / SLICE_MS));
}

/**
 * Nanoseconds per call of every case, per round. Within a round the cases take turns in small
 * batches (about 2 ms each), so load changes on the shared machine hit all of them alike and the
 * same-round ratios stay meaningful.
 */
function measure(cases: Case[]): number[][] {
  const batches = cases.map(calibrate);
  const perCase: number[][] = cases.map(() => []);
  for (let round = 0; round < ROUNDS; round++) {
    const spent = cases.map(() => 0n);
    const calls = cases.map(() => 0);
    const until = performance.now() + SLICE_MS * cases.length;
    while (performance.now() < until) {
      for (let index = 0; index < cases.length; index++) {
        const start = process.hrtime.bigint();
        for (let i = 0; i < batches[index]; i++) {
          cases[index].run();
        }
        spent[index] += process.hrtime.bigint() - start;
        calls[index] += batches[index];
      }
    }
    cases.forEach((_, index) => perCase[index].push(Number(spent[index]) / calls[index]));
  }
  return perCase;
}

const summary: string[] = [];
let missed = false;
for (const size of [1024, 64 * 1024]) {
  const { bodyBytes, cases } = casesFor(realisticPayload(size));
  const times = measure(cases);
  const [send, sendBase, receive, receiveBase, raw] = times;
  const ratio = (a: number[], b: number[]) => a.map((value, i) => value / b[i]);
  const label = size === 1024 ? '1 KiB' : '64 KiB';
  console.log(
    `\n${label} payload (body ${bodyBytes} bytes), ${ROUNDS} rounds × ${SLICE_MS} ms per case, cases interleaved in ~${BATCH_MS} ms batches`,
  );
  printTable(
    ['case', 'median µs/op', 'min–max µs/op', '× raw HMAC'],
    cases.map((item, i) => {
      const { median, min, max } = spread(times[i]);
      return [
        item.name,
        (median / 1000).toFixed(2),
        `${(min / 1000).toFixed(2)}–${(max / 1000).toFixed(2)}`,
        formatRatio(ratio(times[i], raw)),
      ];
    }),
  );
  const sendRatio = ratio(send, sendBase);
  const receiveRatio = ratio(receive, receiveBase);
  missed ||= spread(sendRatio).median > TARGET || spread(receiveRatio).median > TARGET;
  summary.push(
    `${label}: send ${formatRatio(sendRatio)} of stringify+HMAC, receive ${formatRatio(receiveRatio)} of parse+HMAC`,
  );
}
console.log(`\nsink ${sink > 0 ? 'ok' : 'empty'}`);
console.log(
  `SUMMARY protocol (ratio = our time / baseline time, target ≤ ${TARGET}×, ${missed ? 'MISSED' : 'met'}): ${summary.join('; ')}`,
);
