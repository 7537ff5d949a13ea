import { SINGULAR_HEADER_FIELDS, type TalktoHeaders } from '../protocol/talkto.headers.js';

/** The parts of an Express or Fastify request that carry headers. */
export interface HeaderSource {
  headers: TalktoHeaders;
  rawHeaders?: string[];
  raw?: { rawHeaders?: string[] };
}

/**
 * The request headers for verification. Node folds a repeated custom header into one
 * comma-joined string, which would hide a second signature or nonce; for the singular protocol
 * headers (PROTOCOL §3.2) the separately sent values are rebuilt from the raw header list, so a
 * repeat is refused as `invalid_header_value_count`. A single comma-joined value (what a PHP web
 * server hands over) stays one value and fails the signature check instead.
 */
export function requestHeaders(request: HeaderSource, configuredSingular: readonly string[]): TalktoHeaders {
  const raw = request.raw?.rawHeaders ?? request.rawHeaders;
  if (!Array.isArray(raw)) {
    return request.headers;
  }
  const singular = new Set([
    ...SINGULAR_HEADER_FIELDS.keys(),
    ...configuredSingular.map((name) => name.toLowerCase()),
  ]);
  const separate = new Map<string, string[]>();
  for (let index = 0; index + 1 < raw.length; index += 2) {
    const name = raw[index].toLowerCase();
    if (singular.has(name)) {
      separate.set(name, [...(separate.get(name) ?? []), raw[index + 1]]);
    }
  }
  const headers: TalktoHeaders = { ...request.headers };
  for (const [name, values] of separate) {
    if (values.length > 1) {
      headers[name] = values;
    }
  }
  return headers;
}
