import { withoutBodyHeaders, withoutCredentialHeaders } from './fetch-request-headers.util.js';

/** One request of an exchange: the first POST, then each redirect followed. */
export interface FetchHop {
  url: URL;
  method: 'POST' | 'GET';
  headers: Array<[string, string]>;
  body: string | null;
  redirects: number;
}

/**
 * What `fetch` with `redirect: 'follow'` does with an answer (Fetch standard, HTTP-redirect fetch):
 * `null` when the answer is the final one (not a redirect, or one without `Location`), else the
 * next request, or the network error fetch rejects with. 307 and 308 repeat the POST with its body;
 * 301 and 302 after a POST, and 303, turn it into a GET without body or body headers. At most 20.
 */
export function fetchRedirect(
  hop: FetchHop,
  status: number,
  location: string | undefined,
): FetchHop | Error | null {
  if (!REDIRECTS.has(status) || location === undefined) return null;
  let url: URL;
  try {
    url = new URL(location, hop.url);
  } catch {
    return new TypeError(`fetch failed: invalid redirect location ${JSON.stringify(location)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return new TypeError(`fetch failed: redirect to the unsupported scheme ${url.protocol}`);
  }
  if (hop.redirects === MAX_REDIRECTS) return new TypeError('fetch failed: redirect count exceeded');
  if (url.username || url.password) return new TypeError('fetch failed: redirect to a URL with credentials');
  const toGet =
    ((status === 301 || status === 302) && hop.method === 'POST') || (status === 303 && hop.method !== 'GET');
  let headers = toGet ? withoutBodyHeaders(hop.headers) : hop.headers;
  if (url.origin !== hop.url.origin) headers = withoutCredentialHeaders(headers);
  return {
    url,
    method: toGet ? 'GET' : hop.method,
    headers,
    body: toGet ? null : hop.body,
    redirects: hop.redirects + 1,
  };
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const MAX_REDIRECTS = 20;
