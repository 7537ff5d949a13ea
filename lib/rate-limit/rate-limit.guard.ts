import { type CanActivate, type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { TalktoRejection } from '../incoming/talkto-rejection.js';
import { TalktoRoutes } from '../incoming/talkto-routes.js';
import { TALKTO_RATE_LIMITER } from './rate-limit.constants.js';
import { rateLimitKey } from './rate-limit-key.util.js';
import type { TalktoRateLimiter } from './talkto-rate-limiter.js';

type LimitedRequest = Parameters<typeof rateLimitKey>[0] & { url?: string; originalUrl?: string };

interface HeaderSettable {
  header?: (name: string, value: string) => unknown;
  setHeader?: (name: string, value: string) => unknown;
}

/**
 * Answers 429 with `Retry-After` once a source exceeds its window. The body keeps the protocol's
 * rejection shape of the route it guards, so a Talkto sender reads it like any other refusal
 * (and retries: 429 is retryable).
 */
@Injectable()
export class TalktoRateLimitGuard implements CanActivate {
  constructor(
    @Inject(TALKTO_RATE_LIMITER) private readonly limiter: TalktoRateLimiter | null,
    private readonly routes: TalktoRoutes,
  ) {}

  // Without a limiter the answer is at once: Nest then needs no turn of the event loop for it.
  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    if (this.limiter === null || context.getType() !== 'http') {
      return true;
    }
    return this.limit(context, this.limiter);
  }

  private async limit(context: ExecutionContext, limiter: TalktoRateLimiter): Promise<boolean> {
    const http = context.switchToHttp();
    const request = http.getRequest<LimitedRequest>();
    // Wall time, not TalktoClock: a fixed test clock would otherwise never reopen a window.
    const decision = await limiter.hit(rateLimitKey(request), Date.now());
    if (decision.allowed) {
      return true;
    }
    const response = http.getResponse<HeaderSettable>();
    const retryAfter = String(decision.retryAfterSeconds);
    if (typeof response.header === 'function') {
      response.header('Retry-After', retryAfter); // Fastify reply and Express response alike
    } else {
      response.setHeader?.('Retry-After', retryAfter);
    }
    // Answered by the route's TalktoRejectionFilter, so a host's global filter cannot reshape the 429.
    throw new TalktoRejection({ status: 429, body: this.body(request) });
  }

  private body(request: LimitedRequest): Record<string, unknown> {
    if (this.routes.routeOf(request.originalUrl ?? request.url ?? '') === 'callback') {
      return { accepted: false, status: 'rejected', duplicate: false, error: 'rate_limited' };
    }
    return { received: false, status: 'rejected', error: 'rate_limited' };
  }
}
