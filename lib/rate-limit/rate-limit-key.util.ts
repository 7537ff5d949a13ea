/**
 * The limiter key of PROTOCOL §2.2: `source:<X-Talkto-Source header or body source>`, else
 * `ip:<client ip>`. The body is the host's parsed JSON when there is one; otherwise the raw bytes
 * are parsed here. A source that is not a string of at most 80 characters (a service name) falls
 * back to the address.
 */
export function rateLimitKey(request: {
  headers: Record<string, string | string[] | undefined>;
  body?: unknown;
  rawBody?: Buffer;
  ip?: string;
}): string {
  const header = request.headers['x-talkto-source'];
  const source = usable(Array.isArray(header) ? header[0] : header) ?? usable(bodySource(request));
  return source !== undefined ? `source:${source}` : `ip:${request.ip ?? 'unknown'}`;
}

function bodySource(request: { body?: unknown; rawBody?: Buffer }): unknown {
  if (isRecord(request.body)) {
    return request.body.source;
  }
  if (request.rawBody && request.rawBody.length > 0) {
    try {
      const parsed: unknown = JSON.parse(request.rawBody.toString('utf8'));
      return isRecord(parsed) ? parsed.source : undefined;
    } catch {
      return undefined;
    }
  }
  return undefined;
}

function usable(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' && value.length <= 80 ? value : undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
