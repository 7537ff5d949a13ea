import { randomUUID } from 'node:crypto';
import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost, ModuleRef } from '@nestjs/core';
import { TalktoClock } from '../clock/talkto.clock.js';
import type { ResolvedTalktoOptions } from '../config/resolved-options.interface.js';
import { TalktoUsageError } from '../errors/talkto-usage.error.js';
import { ReceiveService } from '../incoming/receive.service.js';
import { TalktoRoutes } from '../incoming/talkto-routes.js';
import { activeSecrets } from '../incoming/verifier-config.factory.js';
import { TalktoTransport } from '../outgoing/talkto.transport.js';
import { MessageLog } from '../persistence/message.log.js';
import { freezePayload } from '../protocol/json/payload-freezer.js';
import { buildOutgoingRequest, type OutgoingRequest } from '../protocol/outgoing-request.builder.js';
import { formatTalktoTimestamp } from '../protocol/talkto.timestamp.js';
import { InProcessQueueDriver } from '../queue/in-process.driver.js';
import { TALKTO_QUEUE_DRIVER } from '../queue/queue.constants.js';
import type { TalktoQueueDriver } from '../queue/talkto-queue.port.js';
import { TALKTO_RESOLVED_OPTIONS } from '../talkto.constants.js';
import { decodeCapturedRequest } from './captured-message.decoder.js';
import { listeningBaseUrl } from './listening-url.util.js';
import { LoopbackTalktoTransport, type LoopbackResponder } from './loopback.transport.js';
import type {
  CapturedTalktoMessage,
  TalktoDeliverOptions,
  TalktoDeliverResult,
} from './talkto-testing.interfaces.js';

/**
 * A host test's handle on Talkto (import `TalktoTestingModule`): what the app sent, signed commands
 * delivered into it as a peer would, and queues run to completion. It refuses to start unless the
 * transport is the loopback one, so a test using it can never reach a real peer.
 */
@Injectable()
export class TalktoTesting implements OnModuleInit {
  private loopback?: LoopbackTalktoTransport;

  constructor(
    private readonly moduleRef: ModuleRef,
    private readonly adapterHost: HttpAdapterHost,
    private readonly clock: TalktoClock,
    @Inject(TALKTO_RESOLVED_OPTIONS) private readonly options: ResolvedTalktoOptions,
  ) {}

  onModuleInit(): void {
    // The internals live in the global TalktoModule without being exported to hosts.
    const transport = this.moduleRef.get(TalktoTransport, { strict: false });
    if (!(transport instanceof LoopbackTalktoTransport)) {
      throw new TalktoUsageError(
        'transport',
        "TalktoTestingModule needs the loopback transport: set `transport: 'loopback'` or add " +
          '`.overrideProvider(TalktoTransport).useClass(LoopbackTalktoTransport)` to the testing module',
      );
    }
    this.loopback = transport;
  }

  /** The loopback transport itself, e.g. to `route()` a target to another app's receiver. */
  get transport(): LoopbackTalktoTransport {
    if (!this.loopback) {
      throw new TalktoUsageError('TalktoTesting', 'used before the application was initialised');
    }
    return this.loopback;
  }

  /** Every request sent so far (commands and result callbacks), oldest first. */
  sent(): CapturedTalktoMessage[] {
    return this.transport.sent.map(decodeCapturedRequest);
  }

  /** Requests sent to one peer, oldest first. */
  sentTo(target: string): CapturedTalktoMessage[] {
    return this.sent().filter((message) => message.target === target);
  }

  /** Answers every request for `target` with this status and JSON body (default: 202 queued). */
  respondWith(target: string, status: number, body: Record<string, unknown>): this {
    this.transport.respondWith(target, status, body);
    return this;
  }

  /** Hands requests for `target` to any function. */
  route(target: string, responder: LoopbackResponder): this {
    this.transport.route(target, responder);
    return this;
  }

  /** Forgets captured requests and routes. The database is left as it is. */
  reset(): void {
    this.transport.reset();
  }

  /**
   * Signs a command as the configured incoming peer `options.source` would and hands it to the
   * receive route: over HTTP when the app listens, else straight to the receive pipeline with the
   * same bytes. Resolves with the route's answer; run `drain()` to have the handler run.
   */
  async deliver(
    command: string,
    payload: unknown,
    options: TalktoDeliverOptions,
  ): Promise<TalktoDeliverResult> {
    const messageId = options.messageId ?? randomUUID();
    const request = this.signedRequest(command, payload, messageId, options);
    const url = options.url ?? this.receiveUrl();
    if (url === null) {
      const answer = await this.moduleRef.get(ReceiveService, { strict: false }).receive({
        headers: Object.fromEntries(request.headers.map(([name, value]) => [name.toLowerCase(), value])),
        rawBody: Buffer.from(request.body, 'utf8'),
      });
      return { status: answer.status, body: { ...answer.body }, messageId };
    }
    const response = await fetch(url, { method: 'POST', headers: request.headers, body: request.body });
    return { status: response.status, body: (await response.json()) as Record<string, unknown>, messageId };
  }

  /**
   * Runs every queue (send, process, callback, event) until nothing is waiting or running, including
   * work queued meanwhile. Retries scheduled for later are not waited for.
   */
  async drain(): Promise<void> {
    const driver = this.moduleRef.get<symbol, TalktoQueueDriver>(TALKTO_QUEUE_DRIVER, { strict: false });
    if (!(driver instanceof InProcessQueueDriver)) {
      throw new TalktoUsageError(
        'queue.driver',
        "drain() needs the in-process queue driver; configure `queue: { driver: 'in-process' }` in tests",
      );
    }
    await driver.drain();
  }

  /** The overall status stored for a message (e.g. `succeeded`), or null when there is no row. */
  async statusOf(messageId: string): Promise<string | null> {
    const row = await this.moduleRef.get(MessageLog, { strict: false }).findByMessageId(messageId);
    return row?.overallStatus ?? null;
  }

  private signedRequest(
    command: string,
    payload: unknown,
    messageId: string,
    options: TalktoDeliverOptions,
  ): OutgoingRequest {
    const source = this.options.incoming.get(options.source);
    const now = this.clock.now();
    const secret = source ? activeSecrets(source.secrets, now.getTime())[0] : undefined;
    if (secret === undefined) {
      throw new TalktoUsageError('source', `no valid incoming secret is configured for ${options.source}`);
    }
    const accepted = this.options.security.acceptVersions;
    const version = options.signatureVersion ?? (accepted.includes('v2') ? 'v2' : accepted[0]);
    const frozen = freezePayload(payload);
    return buildOutgoingRequest({
      messageId,
      correlationId: options.correlationId === undefined ? randomUUID() : options.correlationId,
      parentMessageId: options.parentMessageId ?? null,
      source: options.source,
      target: this.options.service,
      command,
      businessKey: options.businessKey ?? null,
      idempotencyKey: options.idempotencyKey ?? null,
      payloadJson: frozen.json,
      payloadHash: frozen.hash,
      secret,
      signatureVersion: version,
      timestamp: formatTalktoTimestamp(now),
      nonce: version === 'v2' ? randomUUID() : null,
      signatureVersionHeader: this.options.security.signatureVersionHeader,
      nonceHeader: this.options.security.nonceHeader,
    });
  }

  /** The receive route on the listening server, under the app's global prefix unless excluded. */
  private receiveUrl(): string | null {
    const base = listeningBaseUrl(this.adapterHost.httpAdapter?.getHttpServer());
    if (base === null) {
      return null;
    }
    return `${base}${this.moduleRef.get(TalktoRoutes, { strict: false }).path('receive')}`;
  }
}
