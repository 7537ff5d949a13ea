/**
 * The header lines `fetch` (undici) writes for a POST of a string body, in its order: host and
 * connection first, the caller's headers in their order and case (a repeated name merged into its
 * first line with ", ", values trimmed), then the defaults the caller did not set and the length.
 * Peers keep seeing the bytes they saw from `fetch`.
 */
export function fetchRequestHeaders(
  headers: ReadonlyArray<readonly [string, string]>,
  hasBody: boolean,
): Array<[string, string]> {
  const lines: Array<[string, string]> = [];
  const at = new Map<string, number>();
  for (const [name, value] of headers) {
    const key = name.toLowerCase();
    const trimmed = value.replace(OUTER_WHITESPACE, '');
    const index = at.get(key);
    if (index === undefined) {
      at.set(key, lines.length);
      lines.push(key === 'sec-fetch-mode' ? [key, 'cors'] : [name, trimmed]);
    } else if (key !== 'sec-fetch-mode') {
      lines[index]![1] += `, ${trimmed}`;
    }
  }
  if (hasBody && !at.has('content-type')) lines.push(['content-type', 'text/plain;charset=UTF-8']);
  for (const [name, value] of DEFAULTS) {
    if (!at.has(name)) lines.push([name, value]);
  }
  return lines;
}

/** A redirect that turns the POST into a GET drops these (fetch's request-body header names). */
export function withoutBodyHeaders(lines: Array<[string, string]>): Array<[string, string]> {
  return lines.filter(([name]) => !BODY_HEADERS.has(name.toLowerCase()));
}

/** A redirect to another origin drops the credentials fetch would not carry across. */
export function withoutCredentialHeaders(lines: Array<[string, string]>): Array<[string, string]> {
  return lines.filter(([name]) => !CREDENTIAL_HEADERS.has(name.toLowerCase()));
}

const OUTER_WHITESPACE = /^[\t\n\r ]+|[\t\n\r ]+$/g;

const DEFAULTS: ReadonlyArray<readonly [string, string]> = [
  ['accept', '*/*'],
  ['accept-language', '*'],
  ['sec-fetch-mode', 'cors'],
  ['user-agent', 'node'],
  ['accept-encoding', 'gzip, deflate'],
];

const BODY_HEADERS = new Set(['content-encoding', 'content-language', 'content-location', 'content-type']);

const CREDENTIAL_HEADERS = new Set(['authorization', 'proxy-authorization', 'cookie']);
