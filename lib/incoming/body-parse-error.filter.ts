import { type ArgumentsHost, Catch, HttpException, Inject } from '@nestjs/common';
import { BaseExceptionFilter, ModuleRef } from '@nestjs/core';
import { callbackAnswers } from '../callbacks/callback-answers.js';
import { CallbackReceiveService } from '../callbacks/callback-receive.service.js';
import type { ResolvedTalktoOptions } from '../config/resolved-options.interface.js';
import { TALKTO_RESOLVED_OPTIONS } from '../talkto.constants.js';
import { receiveAnswers, type TalktoHttpAnswer } from './receive-response.js';
import { ReceiveService } from './receive.service.js';
import type { HeaderSource } from './request-headers.util.js';
import { signedRequestHeaders } from './signed-request.util.js';

/** Fastify refuses a content type it has no parser for (415) before any route runs. */
function isUnsupportedMediaType(exception: HttpException): boolean {
  return (exception.cause as { code?: unknown } | undefined)?.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE';
}

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
  constructor(
    @Inject(TALKTO_RESOLVED_OPTIONS) private readonly options: ResolvedTalktoOptions,
    private readonly moduleRef: ModuleRef,
  ) {
    super();
  }

  override catch(exception: HttpException, host: ArgumentsHost): void {
    if (host.getType() === 'http' && isUnsupportedMediaType(exception) && this.answerWithoutBody(host)) {
      return;
    }
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

  /**
   * Express hands a body of any other type to the route, which reads it as no body at all (a PHP
   * receiver would see empty form input). On Fastify the route's own service answers the same way
   * here, so a peer gets the documented 4xx instead of 415 whatever the host adapter.
   */
  private answerWithoutBody(host: ArgumentsHost): boolean {
    const adapter = this.httpAdapterHost?.httpAdapter;
    const path = this.talktoPath(host);
    if (!adapter || path === null) {
      return false;
    }
    const service = this.routeService(path);
    if (!service) {
      return false;
    }
    const request = host.switchToHttp().getRequest<HeaderSource>();
    const headers = signedRequestHeaders(request, this.options.security);
    const response = host.switchToHttp().getResponse<unknown>();
    service.receive({ headers, rawBody: null }).then(
      (answer) => adapter.reply(response, answer.body, answer.status),
      (error: unknown) => super.catch(error, host),
    );
    return true;
  }

  private routeService(path: 'receive' | 'callback'): ReceiveService | CallbackReceiveService | null {
    try {
      return path === 'receive'
        ? this.moduleRef.get(ReceiveService, { strict: false })
        : this.moduleRef.get(CallbackReceiveService, { strict: false });
    } catch {
      return null; // the route is not mounted in this application
    }
  }

  private talktoPath(host: ArgumentsHost): 'receive' | 'callback' | null {
    const request = host.switchToHttp().getRequest<{ url?: string; originalUrl?: string }>();
    const path = (request.originalUrl ?? request.url ?? '').split('?')[0].replace(/\/+$/, '');
    if (path.endsWith(`/${this.options.routes.receivePath}`)) {
      return 'receive';
    }
    return path.endsWith(`/${this.options.routes.callbackPath}`) ? 'callback' : null;
  }

  private answerFor(host: ArgumentsHost): TalktoHttpAnswer | null {
    const path = this.talktoPath(host);
    if (path === 'receive') {
      return receiveAnswers.rejected(422, 'invalid_json');
    }
    return path === 'callback' ? callbackAnswers.invalidJson() : null;
  }
}
