export interface TalktoTransportResponse {
  status: number;
  body: string;
  /** The answer's `Retry-After` header, honoured on a 429 or 503 (default: none). */
  retryAfter?: string | null;
}

/**
 * How a signed request leaves the process. The default posts over HTTP; tests and local runs can
 * provide another implementation under this class token.
 */
export abstract class TalktoTransport {
  /** Resolves with any HTTP answer (2xx or not); rejects only when no answer arrived. */
  abstract post(
    url: string,
    headers: Array<[string, string]>,
    body: string,
    timeoutMs: number,
  ): Promise<TalktoTransportResponse>;
}
