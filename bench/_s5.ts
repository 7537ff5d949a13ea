import { verifyEnvelope } from '../lib/protocol/envelope.verifier.js';
import { decodeTalktoJson } from '../lib/protocol/json/json-reader.js';
import { freezePayload } from '../lib/protocol/json/payload-freezer.js';
import type { PhpArray } from '../lib/protocol/json/php-value.js';
import { buildOutgoingRequest } from '../lib/protocol/outgoing-request.builder.js';
import { validateEnvelopeRequest } from '../lib/protocol/request.validator.js';
import { parseTalktoTimestamp } from '../lib/protocol/talkto.timestamp.js';
import { realisticPayload } from './protocol/realistic-payload.util.js';
const SECRET = 'inventory-to-website-secret-0123456789';
const TIMESTAMP = '2024-06-11T10:15:30+00:00';
const E = { messageId: '0190a3f2-7c1e-7b4a-9f0e-3d2c1b0a9f8e', correlationId: '0190a3f2-7c1e-7b4a-9f0e-000000000001', source: 'inventory', target: 'website', command: 'orders.export', timestamp: TIMESTAMP, nonce: 'b1946ac9-2b0f-4d3c-8e7a-6f5d4c3b2a19' };
const V: any = { service: 'website', acceptVersions: ['v2'], toleranceSeconds: 300, requireSignature: true, requireTimestamp: true, replayProtection: true, requireNonceForV2: true, nonceHeader: 'X-Talkto-Nonce', signatureVersionHeader: 'X-Talkto-Signature-Version', source: (n: string) => n === 'inventory' ? { secrets: [SECRET], isCommandAllowed: () => true, isIdempotencyRequired: () => false } : undefined };
const payload = realisticPayload(1024);
const f = freezePayload(payload);
const sample = buildOutgoingRequest({ ...E, payloadJson: f.json, payloadHash: f.hash, secret: SECRET, signatureVersion: 'v2' });
const bodyBytes = Buffer.from(sample.body); const headers = Object.fromEntries(sample.headers.map(([n, v]) => [n.toLowerCase(), v]));
const now = parseTalktoTimestamp(TIMESTAMP)!;
let s = 0; const W = process.env.W ?? 'r';
const t = process.hrtime.bigint();
for (let i = 0; i < 300000; i++) {
  if (W === 'r') { const body = decodeTalktoJson(bodyBytes, { rejectNulPropertyNames: true }) as PhpArray; validateEnvelopeRequest(body, 'command'); s += verifyEnvelope({ body, headers }, V, now).payloadHash.length; }
  else { const fr = freezePayload(payload); s += buildOutgoingRequest({ ...E, payloadJson: fr.json, payloadHash: fr.hash, secret: SECRET, signatureVersion: 'v2' }).body.length; }
}
console.log(W, (Number(process.hrtime.bigint()-t)/300000/1000).toFixed(2));
