import type { TalktoHeaders } from '../protocol/talkto.headers.js';

/** A signed request as the verifiers read it. */
export interface ReceivedRequest {
  headers: TalktoHeaders;
  /** The exact body bytes; null when the body was not JSON and no bytes were kept. */
  rawBody: Buffer | null;
}
