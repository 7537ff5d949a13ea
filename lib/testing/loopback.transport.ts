import { Injectable } from '@nestjs/common';
import { TalktoTransport, type TalktoTransportResponse } from '../outgoing/talkto.transport.js';

/** One request as it would have gone over the wire. */
export interface CapturedTalktoRequest {
  url: string;
  headers: Array<[string, string]>;
  /** The exact body bytes as text. */
  body: string;
  /** The body parsed, for convenient assertions. */
  envelope: Record<string, unknown>;
}

/** Answers a captured request: another app's receiver, or canned test logic. */
export type LoopbackResponder = (
  request: CapturedTalktoRequest,
) => Promise<TalktoTransportResponse> | TalktoTransportResponse;

/**
 * An in-memory transport for tests: records every request byte for byte and answers it from a
 * responder chosen by the envelope's `target` (default: a 202 `queued`, as a healthy peer answers).
 */
@Injectable()
export class LoopbackTalktoTransport extends TalktoTransport {
  readonly sent: CapturedTalktoRequest[] = [];
  private readonly responders = new Map<string, LoopbackResponder>();

  /** Routes requests for `target` to `responder` (e.g. `harness.receiver()` of another app). */
  route(target: string, responder: LoopbackResponder): this {
    this.responders.set(target, responder);
    return this;
  }

  /** Answers every request for `target` with this status and JSON body. */
  respondWith(target: string, status: number, body: Record<string, unknown>): this {
    return this.route(target, () => ({ status, body: JSON.stringify(body) }));
  }

  /** Requests sent to `target` so far, oldest first. */
  sentTo(target: string): CapturedTalktoRequest[] {
    return this.sent.filter((request) => request.envelope.target === target);
  }

  clear(): void {
    this.sent.length = 0;
  }

  /** Forgets captured requests and every route: back to the default 202 answer. */
  reset(): void {
    this.clear();
    this.responders.clear();
  }

  async post(url: string, headers: Array<[string, string]>, body: string): Promise<TalktoTransportResponse> {
    const envelope = JSON.parse(body) as Record<string, unknown>;
    const request: CapturedTalktoRequest = { url, headers: [...headers], body, envelope };
    this.sent.push(request);
    const responder = this.responders.get(String(envelope.target));
    if (responder) return responder(request);
    return {
      status: 202,
      body: JSON.stringify({ received: true, status: 'queued', message_id: envelope.message_id }),
    };
  }
}
