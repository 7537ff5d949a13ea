import { Controller, HttpCode, Inject, Post, Req, Res, type Type, UseGuards } from '@nestjs/common';
import type { ResolvedTalktoOptions } from '../config/resolved-options.interface.js';
import { setStatus } from '../incoming/receive.controller.js';
import { TalktoRateLimitGuard } from '../rate-limit/rate-limit.guard.js';
import { isJsonContentType, readRawBody } from '../incoming/raw-body.util.js';
import { type HeaderSource, requestHeaders } from '../incoming/request-headers.util.js';
import { TALKTO_RESOLVED_OPTIONS } from '../talkto.constants.js';
import { CallbackReceiveService } from './callback-receive.service.js';

interface CallbackRequestLike extends HeaderSource {
  rawBody?: Buffer;
}

interface HttpResponseLike {
  status?: (code: number) => unknown;
  code?: (code: number) => unknown;
}

export abstract class CallbackControllerBase {
  constructor(
    private readonly receiver: CallbackReceiveService,
    private readonly options: ResolvedTalktoOptions,
  ) {}

  @Post()
  @HttpCode(200)
  @UseGuards(TalktoRateLimitGuard)
  async receive(
    @Req() request: CallbackRequestLike,
    @Res({ passthrough: true }) response: HttpResponseLike,
  ): Promise<Record<string, unknown>> {
    const headers = requestHeaders(request, [
      this.options.security.nonceHeader,
      this.options.security.signatureVersionHeader,
    ]);
    const contentType = headers['content-type'];
    const json = isJsonContentType(typeof contentType === 'string' ? contentType : undefined);
    const answer = await this.receiver.receive({
      headers,
      rawBody: json ? await readRawBody(request as Parameters<typeof readRawBody>[0]) : null,
    });
    setStatus(response, answer.status);
    return answer.body;
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
