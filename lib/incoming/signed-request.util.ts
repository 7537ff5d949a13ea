import type { ResolvedTalktoOptions } from '../config/resolved-options.interface.js';
import { TalktoRawBodyError } from '../errors/talkto-raw-body.error.js';
import type { TalktoHeaders } from '../protocol/talkto.headers.js';
import { isJsonContentType, readRawBody } from './raw-body.util.js';
import type { ReceivedRequest } from './received-request.interface.js';
import { type HeaderSource, requestHeaders } from './request-headers.util.js';

/** The parts of an Express or Fastify request a signed route reads. */
export interface SignedHttpRequest extends HeaderSource {
  rawBody?: Buffer;
  /** What a framework body parser made of the body, if one ran. */
  body?: unknown;
}

/** Express sets the status with `status`, Fastify with `code`. */
export interface SignedHttpResponse {
  status?: (code: number) => unknown;
  code?: (code: number) => unknown;
}

/** Sets the status on Express (`status`) and Fastify (`code`) responses alike. */
export function setStatus(response: SignedHttpResponse, status: number): void {
  if (typeof response.code === 'function') {
    response.code(status);
  } else {
    response.status?.(status);
  }
}

/** The configured singular header names per module's settings, one array for all its requests. */
const configuredSingular = new WeakMap<ResolvedTalktoOptions['security'], readonly string[]>();

/** The request's headers with the singular ones, the configured nonce and version headers included, rebuilt. */
export function signedRequestHeaders(
  request: HeaderSource,
  security: ResolvedTalktoOptions['security'],
): TalktoHeaders {
  let names = configuredSingular.get(security);
  if (names === undefined) {
    names = [security.nonceHeader, security.signatureVersionHeader];
    configuredSingular.set(security, names);
  }
  return requestHeaders(request, names);
}

/**
 * What a signed route verifies: the headers with the singular ones rebuilt, and the exact body
 * bytes, kept only for a JSON body.
 */
export async function readSignedRequest(
  request: SignedHttpRequest,
  security: ResolvedTalktoOptions['security'],
): Promise<ReceivedRequest> {
  const headers = signedRequestHeaders(request, security);
  const contentType = headers['content-type'];
  const json = isJsonContentType(typeof contentType === 'string' ? contentType : undefined);
  return { headers, rawBody: json ? await exactBody(request, headers) : null };
}

/**
 * The body's bytes; an empty body is empty bytes. When a parser read the body without keeping its
 * bytes, the request cannot be verified: that is the host's setup, and it says how to fix it.
 */
async function exactBody(request: SignedHttpRequest, headers: TalktoHeaders): Promise<Buffer | null> {
  const raw = await readRawBody(request as Parameters<typeof readRawBody>[0]);
  if (raw !== null || headers['content-length'] === '0') {
    return raw ?? Buffer.alloc(0);
  }
  if (request.body !== undefined) {
    throw new TalktoRawBodyError();
  }
  return null;
}
