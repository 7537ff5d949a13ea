import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';

/** A 429 of the rate limit guard, its body already in the protocol's rejection shape. */
export class TalktoRateLimitedException extends HttpException {
  constructor(readonly answer: Record<string, unknown>) {
    super(answer, 429);
  }
}

/**
 * Scoped to the Talkto controllers, so the 429 keeps the protocol's shape even when the host has a
 * global filter of its own; every other exception is left to the host.
 */
@Catch(TalktoRateLimitedException)
export class TalktoRateLimitedFilter implements ExceptionFilter {
  constructor(private readonly adapterHost: HttpAdapterHost) {}

  catch(exception: TalktoRateLimitedException, host: ArgumentsHost): void {
    this.adapterHost.httpAdapter.reply(host.switchToHttp().getResponse(), exception.answer, 429);
  }
}
