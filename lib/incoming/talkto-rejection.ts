import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, Injectable } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { TalktoHttpAnswer } from './receive-response.js';

/**
 * A request refused on a signed route (by `TalktoSignatureGuard` or Talkto's rate limit): the
 * route's status and exact JSON body.
 */
export class TalktoRejection extends HttpException {
  constructor(answer: TalktoHttpAnswer) {
    super(answer.body, answer.status);
  }
}

/**
 * Answers a `TalktoRejection` with its body as is. Talkto's routes use it so a host's global
 * filters cannot reshape what a peer reads; a host route may use it for the same reason.
 */
@Catch(TalktoRejection)
@Injectable()
export class TalktoRejectionFilter implements ExceptionFilter<TalktoRejection> {
  constructor(private readonly adapterHost: HttpAdapterHost) {}

  catch(rejection: TalktoRejection, host: ArgumentsHost): void {
    this.adapterHost.httpAdapter.reply(
      host.switchToHttp().getResponse(),
      rejection.getResponse(),
      rejection.getStatus(),
    );
  }
}
