import { SINGULAR_HEADER_FIELDS, type TalktoHeaders } from '../protocol/talkto.headers.js';

/** The parts of an Express or Fastify request that carry headers. */
export interface HeaderSource {
  headers: TalktoHeaders;
  rawHeaders?: string[];
  raw?: { rawHeaders?: string[] };
}

/** The singular names per configured list; a module's list is the same array on every request. */
const singularSets = new WeakMap<readonly string[], ReadonlySet<string>>();

function singularNames(configuredSingular: readonly string[]): ReadonlySet<string> {
  let names = singularSets.get(configuredSingular);
  if (names === undefined) {
    names = new Set([
      ...SINGULAR_HEADER_FIELDS.keys(),
      ...configuredSingular.map((name) => name.toLowerCase()),
    ]);
    singularSets.set(configuredSingular, names);
  }
  return names;
}

/**
 * The request headers for verification. Node folds a repeated custom header into one
 * comma-joined string, which would hide a second signature or nonce; for the singular protocol
 * headers (PROTOCOL §3.2) the separately sent values are rebuilt from the raw header list, so a
 * repeat is refused as `invalid_header_value_count`. A single comma-joined value (what a PHP web
 * server hands over) stays one value and fails the signature check instead. Without a repeat the
 * framework's own object is returned (read only).
 */
export function requestHeaders(request: HeaderSource, configuredSingular: readonly string[]): TalktoHeaders {
  const raw = request.raw?.rawHeaders ?? request.rawHeaders;
  if (!Array.isArray(raw)) {
    return request.headers;
  }
  const singular = singularNames(configuredSingular);
  let seen: Map<string, string[]> | undefined;
  let repeated = false;
  for (let index = 0; index + 1 < raw.length; index += 2) {
    const name = raw[index].toLowerCase();
    if (singular.has(name)) {
      seen ??= new Map();
      const values = seen.get(name);
      if (values === undefined) {
        seen.set(name, [raw[index + 1]]);
      } else {
        values.push(raw[index + 1]);
        repeated = true;
      }
    }
  }
  if (!repeated) {
    return request.headers;
  }
  const headers: TalktoHeaders = { ...request.headers };
  for (const [name, values] of seen!) {
    if (values.length > 1) {
      headers[name] = values;
    }
  }
  return headers;
}
