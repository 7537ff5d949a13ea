import {
  Controller,
  HttpCode,
  Inject,
  Post,
  Req,
  Res,
  type Type,
  UseFilters,
  UseGuards,
} from '@nestjs/common';
import type { ResolvedTalktoOptions } from '../config/resolved-options.interface.js';
import {
  answerSignedRequest,
  type SignedHttpRequest,
  type SignedHttpResponse,
} from '../incoming/signed-request.util.js';
import { TalktoRateLimitGuard } from '../rate-limit/rate-limit.guard.js';
import { TalktoRateLimitedFilter } from '../rate-limit/rate-limited.exception.js';
import { TALKTO_RESOLVED_OPTIONS } from '../talkto.constants.js';
import { CallbackReceiveService } from './callback-receive.service.js';

export abstract class CallbackControllerBase {
  constructor(
    private readonly receiver: CallbackReceiveService,
    private readonly options: ResolvedTalktoOptions,
  ) {}

  @Post()
  @HttpCode(200)
  @UseGuards(TalktoRateLimitGuard)
  @UseFilters(TalktoRateLimitedFilter)
  receive(
    @Req() request: SignedHttpRequest,
    @Res({ passthrough: true }) response: SignedHttpResponse,
  ): Promise<Record<string, unknown>> {
    return answerSignedRequest(request, response, this.options.security, (received) =>
      this.receiver.receive(received),
    );
  }
}

/** The callback route at the configured path (default `api/talkto/callback`), one class per module. */
export function createCallbackController(path: string): Type<CallbackControllerBase> {
  @Controller(path)
  class TalktoCallbackController extends CallbackControllerBase {
    constructor(
      receiver: CallbackReceiveService,
      @Inject(TALKTO_RESOLVED_OPTIONS) options: ResolvedTalktoOptions,
    ) {
      super(receiver, options);
    }
  }
  return TalktoCallbackController;
}
