import { type ExecutionContext, createParamDecorator } from '@nestjs/common';
import type { CallbackIds } from '../callbacks/callback-answers.js';
import { TalktoUsageError } from '../errors/talkto-usage.error.js';
import type { VerifiedEnvelope } from '../protocol/envelope.verifier.js';
import type { TalktoHeaders } from '../protocol/talkto.headers.js';

/** What `TalktoSignatureGuard` established about one request. */
export interface VerifiedRequest {
  envelope: VerifiedEnvelope;
  headers: TalktoHeaders;
  /** The callback's ids, on the callback route. */
  ids: CallbackIds;
}

/** Keyed by the framework's request object, which it neither extends nor outlives. */
const verifiedRequests = new WeakMap<object, VerifiedRequest>();

export function rememberVerified(request: object, verified: VerifiedRequest): void {
  verifiedRequests.set(request, verified);
}

export function verifiedOf(context: ExecutionContext, decorator: string): VerifiedRequest {
  const verified = verifiedRequests.get(context.switchToHttp().getRequest<object>());
  if (!verified) {
    throw new TalktoUsageError(decorator, 'needs @UseGuards(TalktoSignatureGuard) on the route');
  }
  return verified;
}

/** The guard's whole finding, for Talkto's own routes. */
export const Verified = createParamDecorator((_data: unknown, context: ExecutionContext) =>
  verifiedOf(context, '@Verified()'),
);
