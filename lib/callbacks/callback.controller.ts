import { Controller, HttpCode, Post, Res, type Type, UseFilters, UseGuards } from '@nestjs/common';
import { setStatus, type SignedHttpResponse } from '../incoming/signed-request.util.js';
import { TalktoRoute } from '../incoming/signed-request.verifier.js';
import { TalktoRejectionFilter } from '../incoming/talkto-rejection.js';
import { TalktoSignatureGuard } from '../incoming/talkto-signature.guard.js';
import { Verified, type VerifiedRequest } from '../incoming/verified-request.store.js';
import { TalktoRateLimitGuard } from '../rate-limit/rate-limit.guard.js';
import { CallbackReceiveService } from './callback-receive.service.js';

export abstract class CallbackControllerBase {
  constructor(private readonly receiver: CallbackReceiveService) {}

  @Post()
  @HttpCode(200)
  @TalktoRoute('callback')
  @UseGuards(TalktoRateLimitGuard, TalktoSignatureGuard)
  @UseFilters(TalktoRejectionFilter)
  async receive(
    @Verified() verified: VerifiedRequest,
    @Res({ passthrough: true }) response: SignedHttpResponse,
  ): Promise<Record<string, unknown>> {
    const answer = await this.receiver.settle(verified);
    setStatus(response, answer.status);
    return answer.body;
  }
}

/** The callback route at the configured path (default `api/talkto/callback`), one class per module. */
export function createCallbackController(path: string): Type<CallbackControllerBase> {
  @Controller(path)
  class TalktoCallbackController extends CallbackControllerBase {
    constructor(receiver: CallbackReceiveService) {
      super(receiver);
    }
  }
  return TalktoCallbackController;
}
