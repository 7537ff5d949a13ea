import { Controller, HttpCode, Inject, Post, Req, Res, type Type, UseGuards } from '@nestjs/common';
import { TalktoRateLimitGuard } from '../rate-limit/rate-limit.guard.js';
import type { ResolvedTalktoOptions } from '../config/resolved-options.interface.js';
import { TALKTO_RESOLVED_OPTIONS } from '../talkto.constants.js';
import { readRawBody, isJsonContentType } from './raw-body.util.js';
import { ReceiveService } from './receive.service.js';
import { type HeaderSource, requestHeaders } from './request-headers.util.js';

interface HttpRequestLike extends HeaderSource {
  rawBody?: Buffer;
}

interface HttpResponseLike {
  status?: (code: number) => unknown;
  code?: (code: number) => unknown;
}

/** Sets the status on Express (`status`) and Fastify (`code`) responses alike. */
export function setStatus(response: HttpResponseLike, status: number): void {
  if (typeof response.code === 'function') {
    response.code(status);
  } else {
    response.status?.(status);
  }
}

export abstract class ReceiveControllerBase {
  constructor(
    private readonly receiver: ReceiveService,
    private readonly options: ResolvedTalktoOptions,
  ) {}

  @Post()
  @HttpCode(202)
  @UseGuards(TalktoRateLimitGuard)
  async receive(
    @Req() request: HttpRequestLike,
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
