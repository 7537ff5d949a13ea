import { Controller, HttpCode, Post, Req, Res, type Type } from '@nestjs/common';
import type { TalktoHeaders } from '../protocol/talkto.headers.js';
import { readRawBody, isJsonContentType } from './raw-body.util.js';
import { ReceiveService } from './receive.service.js';

interface HttpRequestLike {
  headers: TalktoHeaders;
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
  constructor(private readonly receiver: ReceiveService) {}

  @Post()
  @HttpCode(202)
  async receive(
    @Req() request: HttpRequestLike,
    @Res({ passthrough: true }) response: HttpResponseLike,
  ): Promise<Record<string, unknown>> {
    const contentType = request.headers['content-type'];
    const json = isJsonContentType(typeof contentType === 'string' ? contentType : undefined);
    const answer = await this.receiver.receive({
      headers: request.headers,
      rawBody: json ? await readRawBody(request) : null,
    });
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
