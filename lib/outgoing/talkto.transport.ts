export interface TalktoTransportResponse {
  status: number;
  body: string;
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
