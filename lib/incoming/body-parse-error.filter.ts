import { type ArgumentsHost, Catch, HttpException, Inject } from '@nestjs/common';
import { BaseExceptionFilter } from '@nestjs/core';
import type { ResolvedTalktoOptions } from '../config/resolved-options.interface.js';
import { TALKTO_RESOLVED_OPTIONS } from '../talkto.constants.js';
import { receiveAnswers, type TalktoHttpAnswer } from './receive-response.js';

const INVALID_JSON_CALLBACK: TalktoHttpAnswer = {
  status: 422,
  body: {
    accepted: false,
    status: 'rejected',
    message_id: null,
    original_message_id: null,
    duplicate: false,
    error: 'invalid_json',
  },
};

function isBodyParseFailure(exception: HttpException): boolean {
  const cause = exception.cause as { type?: unknown; code?: unknown } | undefined;
  return (
    cause?.type === 'entity.parse.failed' ||
    cause?.code === 'FST_ERR_CTP_INVALID_JSON_BODY' ||
    cause?.code === 'FST_ERR_CTP_EMPTY_JSON_BODY'
  );
}

/**
 * The host's JSON body parser runs before any route and answers malformed JSON with 400. A PHP
 * peer must get 422 `invalid_json` from the Talkto routes instead, so this filter rewrites exactly
 * those failures on exactly those paths and leaves every other exception to Nest's default handling.
 */
@Catch(HttpException)
export class BodyParseErrorFilter extends BaseExceptionFilter {
  constructor(@Inject(TALKTO_RESOLVED_OPTIONS) private readonly options: ResolvedTalktoOptions) {
    super();
  }

  override catch(exception: HttpException, host: ArgumentsHost): void {
    const answer = host.getType() === 'http' && isBodyParseFailure(exception) ? this.answerFor(host) : null;
    if (!answer) {
      super.catch(exception, host);
      return;
    }
    const adapter = this.httpAdapterHost?.httpAdapter;
    if (!adapter) {
      super.catch(exception, host);
      return;
    }
    adapter.reply(host.switchToHttp().getResponse(), answer.body, answer.status);
  }

  private answerFor(host: ArgumentsHost): TalktoHttpAnswer | null {
    const request = host.switchToHttp().getRequest<{ url?: string; originalUrl?: string }>();
    const path = (request.originalUrl ?? request.url ?? '').split('?')[0].replace(/\/+$/, '');
    if (path.endsWith(`/${this.options.routes.receivePath}`)) {
      return receiveAnswers.rejected(422, 'invalid_json');
    }
    if (path.endsWith(`/${this.options.routes.callbackPath}`)) {
      return INVALID_JSON_CALLBACK;
    }
    return null;
  }
}
