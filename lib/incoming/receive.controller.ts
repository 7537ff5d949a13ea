import { Controller, HttpCode, Post, Res, type Type, UseFilters, UseGuards } from '@nestjs/common';
import { TalktoRateLimitGuard } from '../rate-limit/rate-limit.guard.js';
import { ReceiveService } from './receive.service.js';
import { setStatus, type SignedHttpResponse } from './signed-request.util.js';
import { TalktoRoute } from './signed-request.verifier.js';
import { TalktoRejectionFilter } from './talkto-rejection.js';
import { TalktoSignatureGuard } from './talkto-signature.guard.js';
import { Verified, type VerifiedRequest } from './verified-request.store.js';

export abstract class ReceiveControllerBase {
  constructor(private readonly receiver: ReceiveService) {}

  @Post()
  @HttpCode(202)
  @TalktoRoute('receive')
  @UseGuards(TalktoRateLimitGuard, TalktoSignatureGuard)
  @UseFilters(TalktoRejectionFilter)
  async receive(
    @Verified() verified: VerifiedRequest,
    @Res({ passthrough: true }) response: SignedHttpResponse,
  ): Promise<Record<string, unknown>> {
    const answer = await this.receiver.accept(verified.envelope, verified.headers);
    setStatus(response, answer.status);
    return answer.body;
  }
}

/** The route's path comes from the options, so each module instance gets its own controller class. */
export function createReceiveController(path: string): Type<ReceiveControllerBase> {
  @Controller(path)
  class TalktoReceiveController extends ReceiveControllerBase {
    constructor(receiver: ReceiveService) {
      super(receiver);
    }
  }
  return TalktoReceiveController;
}
