import { Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { Agent as HttpAgent, type ClientRequest, type IncomingMessage, request } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
// The event loop's own turns, not the global a host test's fake timers may replace.
import { setImmediate } from 'node:timers';
import { fetchRedirect, type FetchHop } from './fetch-redirect.rule.js';
import { fetchRequestHeaders } from './fetch-request-headers.util.js';
import { fetchResponseText } from './fetch-response-text.util.js';
import { TalktoTransport, type TalktoTransportResponse } from './talkto.transport.js';

/**
 * Posts with `node:http(s)` the way `fetch` did, at less CPU per request: the same header lines,
 * the body bytes as given, redirects followed by fetch's rules, one deadline over the whole
 * exchange (a `TimeoutError`), TLS verified. Sockets are kept alive per transport and peer, idle
 * ones are unref'd, closed before the peer's announced keep-alive timeout, and destroyed at shutdown.
 * A request is sent again only when the kept-alive socket it was given closed before any of it
 * was written; once written, a lost answer fails like any connection error (retried upstream),
 * since the peer may have received it (undici does not resend a POST either).
 */
@Injectable()
export class HttpTalktoTransport extends TalktoTransport implements OnApplicationShutdown {
  private readonly agents = {
    'http:': new HttpAgent(AGENT_OPTIONS),
    'https:': new HttpsAgent(AGENT_OPTIONS),
  };

  post(
    url: string,
    headers: Array<[string, string]>,
    body: string,
    timeoutMs: number,
  ): Promise<TalktoTransportResponse> {
    return new Promise((resolve, reject) => {
      let current: ClientRequest | undefined;
      let done = false;
      const settle = (error: Error | null, answer?: TalktoTransportResponse): void => {
        if (done) return;
        done = true;
        clearTimeout(deadline);
        if (!error) return resolve(answer!);
        current?.destroy(error);
        reject(error);
      };
      const deadline = setTimeout(() => settle(new DOMException(TIMEOUT_MESSAGE, 'TimeoutError')), timeoutMs);

      const send = (hop: FetchHop): void => {
        const agent = this.agents[hop.url.protocol as keyof typeof this.agents];
        if (!agent) return settle(new TypeError(`fetch failed: unsupported scheme ${hop.url.protocol}`));
        const lines = [['host', hop.url.host], ['connection', 'keep-alive'], ...hop.headers];
        if (hop.body !== null) lines.push(['content-length', String(Buffer.byteLength(hop.body))]);
        let outgoing: ClientRequest;
        try {
          outgoing = request(hop.url, { method: hop.method, agent, headers: lines.flat() });
        } catch (error) {
          return settle(error as Error);
        }
        current = outgoing;
        let written = false;
        const write = (): void => {
          written = true;
          outgoing.end(hop.body ?? undefined);
        };
        outgoing.on('socket', (socket) => {
          if (!outgoing.reusedSocket) return write();
          // A peer may close a kept-alive socket right behind its last answer: one more turn of
          // the event loop reads that close before anything is written on the socket.
          setImmediate(() => setImmediate(() => !socket.destroyed && write()));
        });
        outgoing.on('error', (error) => {
          if (current !== outgoing) return; // a redirect already answered it
          // Closed before a byte of this request went out: provably unsent, so it goes on another socket.
          if (!written && outgoing.reusedSocket && !done) return send(hop);
          settle(fetchFailed(error));
        });
        outgoing.on('response', (response) => {
          const next = fetchRedirect(hop, response.statusCode!, response.headers.location);
          if (next instanceof Error) return settle(next);
          if (next) {
            response.resume();
            return send(next);
          }
          read(response);
        });
      };

      const read = (response: IncomingMessage): void => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', (error) => settle(fetchFailed(error)));
        response.on('close', () => {
          if (!response.complete) settle(fetchFailed(new Error('the answer was cut short')));
        });
        response.on('end', () => {
          try {
            const text = fetchResponseText(
              chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks),
              response.headers['content-encoding'],
            );
            settle(null, {
              status: response.statusCode!,
              body: text,
              retryAfter: retryAfter(response.rawHeaders),
            });
          } catch (error) {
            settle(fetchFailed(error as Error));
          }
        });
      };

      try {
        send(firstHop(url, headers, body));
      } catch (error) {
        settle(error as Error); // an invalid URL or header, as fetch rejects them
      }
    });
  }

  onApplicationShutdown(): void {
    this.agents['http:'].destroy();
    this.agents['https:'].destroy();
  }
}

function firstHop(url: string, headers: Array<[string, string]>, body: string): FetchHop {
  const target = new URL(url);
  if (target.username || target.password) {
    throw new TypeError('Request cannot be constructed from a URL that includes credentials');
  }
  return { url: target, method: 'POST', headers: fetchRequestHeaders(headers, true), body, redirects: 0 };
}

/** A failed exchange rejects as fetch's did (a `TypeError`, so the same error class is recorded), naming its cause. */
function fetchFailed(cause: Error): TypeError {
  return new TypeError(`fetch failed: ${cause.message}`, { cause });
}

/** All `Retry-After` lines joined, as `Headers.get` gives them (node:http would keep the first). */
function retryAfter(raw: string[]): string | null {
  let value: string | null = null;
  for (let index = 0; index < raw.length; index += 2) {
    if (raw[index]!.length === 11 && raw[index]!.toLowerCase() === 'retry-after') {
      value = value === null ? raw[index + 1]! : `${value}, ${raw[index + 1]}`;
    }
  }
  return value;
}

const TIMEOUT_MESSAGE = 'The operation was aborted due to timeout';

// undici's defaults: idle sockets close after 4 s (or 1 s before the peer's keep-alive hint);
// unlike undici, the sockets per peer are bounded, and further requests wait their turn (the agent
// hands them a freed socket without marking it reused, so they skip the wait above).
const AGENT_OPTIONS = { keepAlive: true, maxSockets: 64, timeout: 4_000 };
