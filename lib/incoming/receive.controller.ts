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
import { TalktoRateLimitGuard } from '../rate-limit/rate-limit.guard.js';
import { TalktoRateLimitedFilter } from '../rate-limit/rate-limited.exception.js';
import type { ResolvedTalktoOptions } from '../config/resolved-options.interface.js';
import { TALKTO_RESOLVED_OPTIONS } from '../talkto.constants.js';
import { ReceiveService } from './receive.service.js';
import {
  answerSignedRequest,
  type SignedHttpRequest,
  type SignedHttpResponse,
} from './signed-request.util.js';

export abstract class ReceiveControllerBase {
  constructor(
    private readonly receiver: ReceiveService,
    private readonly options: ResolvedTalktoOptions,
  ) {}

  @Post()
  @HttpCode(202)
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

/** The route's path comes from the options, so each module instance gets its own controller class. */
export function createReceiveController(path: string): Type<ReceiveControllerBase> {
  @Controller(path)
  class TalktoReceiveController extends ReceiveControllerBase {
    constructor(receiver: ReceiveService, @Inject(TALKTO_RESOLVED_OPTIONS) options: ResolvedTalktoOptions) {
      super(receiver, options);
    }
  }
  return TalktoReceiveController;
}
