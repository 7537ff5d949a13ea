import { OutboxLedger } from '../../../lib/persistence/outbox.ledger.js';
import { decodeTalktoJson } from '../../../lib/protocol/json/json-reader.js';
import { encodeBodyJson } from '../../../lib/protocol/json/body-json.js';
import { PhpArray, type PhpValue } from '../../../lib/protocol/json/php-value.js';
import type { ReceiverApp } from './receiver-app.js';

type Json = Record<string, unknown>;

/** What must exist before a case is delivered, as its `precondition` text describes it. */
export type Precondition =
  { kind: 'delivered'; caseName: string } | { kind: 'outgoing_message'; caseName: string; status: string };

/**
 * Reads a precondition sentence: the case it names (the longest case name found in it as a
 * whole word, from any vectors folder of the run), and whether that case must have been accepted
 * by this receiver before ("X was already accepted") or exist as a message this receiver sent
 * earlier, with the stated status. Any other sentence is an error: a case must not pass on a
 * state the runner did not build.
 */
export function parsePrecondition(text: string, caseNames: Iterable<string>): Precondition {
  const named = [...caseNames]
    .filter((name) => new RegExp(`(^|[^A-Za-z0-9_])${escapeRegExp(name)}($|[^A-Za-z0-9_])`).test(text))
    .sort((a, b) => b.length - a.length)[0];
  if (named === undefined) {
    throw new Error(`precondition names no known case: ${text}`);
  }
  if (/outgoing message of case/i.test(text)) {
    const status = /\(status ([a-z_]+)\)/.exec(text)?.[1] ?? 'waiting_to_send';
    return { kind: 'outgoing_message', caseName: named, status };
  }
  if (/\bwas already accepted\b/i.test(text)) {
    return { kind: 'delivered', caseName: named };
  }
  throw new Error(`precondition not understood: ${text}`);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

const text = (body: PhpArray, key: string): string | null => {
  const value = body.get(key);
  return typeof value === 'string' ? value : null;
};

/**
 * Stores the referenced case's command as a message this service sent, then moves it to the
 * stated status through the ledger's own transitions (claim, then the recorded answer).
 */
export async function storeSentMessage(app: ReceiverApp, reference: Json, status: string): Promise<void> {
  const request = reference.request as Json;
  const body = decodeTalktoJson(String(request.body)) as PhpArray;
  const payload: PhpValue = body.get('payload') ?? null;
  const ledger = app.app.get(OutboxLedger);
  const now = app.clock.now();
  const row = await ledger.createOutgoing({
    messageId: text(body, 'message_id')!,
    correlationId: text(body, 'correlation_id'),
    parentMessageId: text(body, 'parent_message_id'),
    source: text(body, 'source')!,
    target: text(body, 'target')!,
    command: text(body, 'command')!,
    businessKey: text(body, 'business_key'),
    idempotencyKey: text(body, 'idempotency_key'),
    payload: payload === null ? null : encodeBodyJson(payload),
    payloadHash: text(body, 'payload_hash'),
    maxAttempts: 5,
    now,
  });
  if (status === 'waiting_to_send') {
    return;
  }
  const claimed = await ledger.claimForSend(row.id, 'conformance', 60_000, now);
  if (!claimed) {
    throw new Error(`cannot claim the stored message for status ${status}`);
  }
  if (status === 'sent' || status === 'destination_received') {
    await ledger.markSent(claimed.claim, {
      httpStatus: 202,
      body: null,
      received: status === 'destination_received',
      destinationStatus: status === 'destination_received' ? 'queued' : null,
      now,
    });
    return;
  }
  if (status === 'failed_final') {
    await ledger.markFinalFailure(claimed.claim, {
      error: 'precondition',
      column: 'transport_status',
      deadLetter: false,
      now,
    });
    return;
  }
  throw new Error(`unsupported precondition status ${status}`);
}
