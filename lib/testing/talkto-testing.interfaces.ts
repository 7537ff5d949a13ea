/** One request the app sent through the loopback transport, decoded for assertions. */
export interface CapturedTalktoMessage {
  url: string;
  messageId: string;
  correlationId: string | null;
  parentMessageId: string | null;
  source: string;
  target: string;
  command: string;
  idempotencyKey: string | null;
  payloadHash: string;
  /** The payload as ordinary JS data (see `toPlainValue`: big ints stay bigint). */
  payload: unknown;
  /** Header names lower-cased; the order sent is kept in `rawHeaders`. */
  headers: Record<string, string>;
  rawHeaders: Array<[string, string]>;
  /** The exact body text, byte for byte as it would have gone over the wire. */
  body: string;
}

/** How `TalktoTesting.deliver()` builds the signed request; everything but `source` is optional. */
export interface TalktoDeliverOptions {
  /** A peer configured under `incoming`; its newest valid secret signs the request. */
  source: string;
  messageId?: string;
  correlationId?: string | null;
  parentMessageId?: string | null;
  businessKey?: string | null;
  idempotencyKey?: string | null;
  /** Default `v2` when the app accepts it, else the first accepted version. */
  signatureVersion?: 'v1' | 'v2';
  /** Full receive URL (default: the route on the listening server, under the app's global prefix). */
  url?: string;
}

/** The receive route's answer to a delivered command. */
export interface TalktoDeliverResult {
  status: number;
  body: Record<string, unknown>;
  messageId: string;
}
