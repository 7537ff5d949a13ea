import { randomUUID } from 'node:crypto';
import { freezePayload } from '../../lib/protocol/json/payload-freezer.js';
import { buildOutgoingRequest } from '../../lib/protocol/outgoing-request.builder.js';
import { formatTalktoTimestamp } from '../../lib/protocol/talkto.timestamp.js';

export interface SignedRequestInput {
  url: string;
  secret: string;
  source: string;
  target: string;
  command: string;
  payload?: unknown;
  messageId?: string;
  parentMessageId?: string | null;
  correlationId?: string;
  nonce?: string;
  idempotencyKey?: string | null;
  signatureVersion?: 'v1' | 'v2';
  timestamp?: Date;
}

export interface PostedAnswer {
  status: number;
  body: Record<string, unknown>;
  messageId: string;
}

/** Signs a request exactly as a peer would (our own builder, which matches the PHP vectors) and posts it. */
export async function postSigned(input: SignedRequestInput): Promise<PostedAnswer> {
  const frozen = freezePayload(input.payload ?? {});
  const messageId = input.messageId ?? randomUUID();
  const version = input.signatureVersion ?? 'v2';
  const request = buildOutgoingRequest({
    messageId,
    correlationId: input.correlationId ?? randomUUID(),
    parentMessageId: input.parentMessageId ?? null,
    source: input.source,
    target: input.target,
    command: input.command,
    idempotencyKey: input.idempotencyKey ?? null,
    payload: frozen.value,
    payloadHash: frozen.hash,
    secret: input.secret,
    signatureVersion: version,
    timestamp: formatTalktoTimestamp(input.timestamp ?? new Date()),
    nonce: version === 'v2' ? (input.nonce ?? randomUUID()) : null,
  });
  const response = await fetch(input.url, { method: 'POST', headers: request.headers, body: request.body });
  return { status: response.status, body: (await response.json()) as Record<string, unknown>, messageId };
}

/** A command signed by `inventory` for `website`, posted to the receive route of the app at `baseUrl`. */
export function postInventoryCommand(
  baseUrl: string,
  secret: string,
  command: string,
  payload?: unknown,
): Promise<PostedAnswer> {
  return postSigned({
    url: `${baseUrl}/api/talkto/receive`,
    secret,
    source: 'inventory',
    target: 'website',
    command,
    payload,
  });
}
