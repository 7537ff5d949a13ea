import {
  type CanActivate,
  Controller,
  ForbiddenException,
  Get,
  Header,
  Inject,
  NotFoundException,
  Optional,
  Param,
  Post,
  Query,
  Req,
  Res,
  type Type,
  UseGuards,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { TalktoClock } from '../clock/talkto.clock.js';
import type { ResolvedTalktoOptions } from '../config/resolved-options.interface.js';
import { TalktoRedactor } from '../operations/talkto.redactor.js';
import { TraceService } from '../operations/trace.service.js';
import { decodeTalktoJson } from '../protocol/json/json-reader.js';
import { toPlainValue } from '../protocol/json/plain-value.js';
import { TALKTO_RESOLVED_OPTIONS } from '../talkto.constants.js';
import { CSRF_COOKIE, CSRF_FIELD, csrfMatches, newCsrfToken, readCookie } from './csrf.util.js';
import { query as toQuery } from './html.util.js';
import { readPanelForm } from './panel-form.util.js';
import { connectionJson, expectsJson, snakeKeys, traceJson } from './panel-json.util.js';
import { type PanelActionResult, TalktoPanelOperations } from './panel-operations.port.js';
import { CallbackStatusInspector } from './callback-status.inspector.js';
import { callbackStatusPage } from './callback-status.view.js';
import { connectionList, indexPage } from './connection.views.js';
import { parseMessageFilters } from './message-filters.util.js';
import { messageTracePage } from './message-trace.view.js';
import { overviewPage } from './overview.view.js';
import { PanelConnections } from './panel-connections.service.js';
import { PanelOverview } from './panel-overview.service.js';
import type { PageContext } from './panel-layout.view.js';
import { type ResolvedPanelOptions, TALKTO_PANEL_OPTIONS } from './panel-options.resolver.js';
import { PanelQueries } from './panel.queries.js';
import * as views from './panel.views.js';
import { parseTraceQuery } from './trace-query.util.js';

interface PanelRequest {
  headers: Record<string, string | string[] | undefined>;
  body?: unknown;
  rawBody?: Buffer;
}
interface PanelResponse {
  header?: (name: string, value: string) => unknown;
}

/** BEHAVIOR §14's action result: 200 on success, 422 otherwise; `redirect_route` names the page. */
function actionJson(result: PanelActionResult, route: string, meta: Record<string, unknown> = {}) {
  return { success: result.success, message: result.message, meta, redirect_route: `talkto.panel.${route}` };
}

/** The action's outcome for the page the browser is sent back to (post, redirect, get). */
function flashQuery(result: PanelActionResult): string {
  return toQuery({ flash: result.message, failed: result.success ? undefined : 1 });
}

/** The panel's pages under the configured prefix, behind the host's guard. */
export function createPanelController(prefix: string, guard: Type<CanActivate> | undefined): Type<unknown> {
  const guards = guard ? [guard] : [];

  @Controller(prefix)
  @UseGuards(...guards)
  class TalktoPanelController {
    private readonly base = `/${prefix}`;

    constructor(
      private readonly queries: PanelQueries,
      private readonly clock: TalktoClock,
      private readonly redactor: TalktoRedactor,
      private readonly connections: PanelConnections,
      private readonly inspector: CallbackStatusInspector,
      private readonly overview: PanelOverview,
      private readonly tracer: TraceService,
      private readonly adapterHost: HttpAdapterHost,
      @Inject(TALKTO_RESOLVED_OPTIONS) private readonly options: ResolvedTalktoOptions,
      @Inject(TALKTO_PANEL_OPTIONS) private readonly panel: ResolvedPanelOptions,
      @Optional() private readonly operations?: TalktoPanelOperations,
    ) {}

    @Get()
    @Header('Content-Type', 'text/html; charset=utf-8')
    async index(@Req() req: PanelRequest, @Res({ passthrough: true }) res: PanelResponse) {
      const [latest, connections] = await Promise.all([
        this.queries.latestMessages(10),
        this.connections.list(false),
      ]);
      if (expectsJson(req.headers)) {
        return this.json(res, {
          messages: latest.map(snakeKeys),
          connections: connections.map(connectionJson),
        });
      }
      return indexPage(this.context(req, res, {}), latest, connections, this.healthWindow());
    }

    @Get('overview')
    @Header('Content-Type', 'text/html; charset=utf-8')
    async overviewPage(
      @Query() raw: Record<string, unknown>,
      @Req() req: PanelRequest,
      @Res({ passthrough: true }) res: PanelResponse,
    ) {
      const figures = await this.overview.build(raw.peer);
      if (expectsJson(req.headers)) {
        return this.json(res, { ...figures, connections: figures.connections.map(connectionJson) });
      }
      return overviewPage(this.context(req, res, raw), figures);
    }

    @Get('messages')
    @Header('Content-Type', 'text/html; charset=utf-8')
    async messages(
      @Query() raw: Record<string, unknown>,
      @Req() req: PanelRequest,
      @Res({ passthrough: true }) res: PanelResponse,
    ) {
      const filters = parseMessageFilters(raw);
      const perPage = filters.perPage ?? this.panel.perPage;
      const { rows, total, capped, searched } = await this.queries.messages(filters, perPage);
      if (expectsJson(req.headers)) {
        return this.json(res, {
          data: rows.map(snakeKeys),
          current_page: filters.page,
          per_page: perPage,
          total,
          total_is_lower_bound: capped,
          searched_ids: searched && {
            from: searched.from,
            below: searched.below,
            older_not_searched: searched.older,
          },
        });
      }
      return views.messageList(this.context(req, res, raw), filters, rows, total, capped, perPage, searched);
    }

    @Get('messages/:key')
    @Header('Content-Type', 'text/html; charset=utf-8')
    async message(
      @Param('key') key: string,
      @Query() raw: Record<string, unknown>,
      @Req() req: PanelRequest,
      @Res({ passthrough: true }) res: PanelResponse,
    ) {
      const detail = await this.queries.message(key);
      if (!detail) throw new NotFoundException('No such Talkto message.');
      if (expectsJson(req.headers)) return this.json(res, this.detailJson(detail));
      return views.messageDetail(this.context(req, res, raw), detail, this.payloadOf(detail.message.payload));
    }

    @Get('messages/:key/callback-status')
    @Header('Content-Type', 'text/html; charset=utf-8')
    async callbackStatus(
      @Param('key') key: string,
      @Req() req: PanelRequest,
      @Res({ passthrough: true }) res: PanelResponse,
    ) {
      const message = await this.queries.findMessage(key);
      if (!message) throw new NotFoundException('No such Talkto message.');
      const inspection = await this.inspector.inspect(message);
      if (expectsJson(req.headers)) return this.json(res, inspection);
      return callbackStatusPage(this.context(req, res, {}), inspection);
    }

    @Get('messages/:key/trace')
    @Header('Content-Type', 'text/html; charset=utf-8')
    async messageTrace(
      @Param('key') key: string,
      @Query() raw: Record<string, unknown>,
      @Req() req: PanelRequest,
      @Res({ passthrough: true }) res: PanelResponse,
    ) {
      const message = await this.queries.findMessage(key);
      if (!message) throw new NotFoundException('No such Talkto message.');
      const { limit, payload } = parseTraceQuery(raw);
      // The payload only when asked for and allowed (BEHAVIOR §14).
      const includePayload = payload && this.panel.showPayload;
      const trace = await this.tracer.trace({ messageId: message.messageId, limit, includePayload });
      if (expectsJson(req.headers)) return this.json(res, traceJson(trace));
      return messageTracePage(this.context(req, res, {}), trace);
    }

    @Get('trace/:correlationId')
    @Header('Content-Type', 'text/html; charset=utf-8')
    async trace(
      @Param('correlationId') correlationId: string,
      @Req() req: PanelRequest,
      @Res({ passthrough: true }) res: PanelResponse,
    ) {
      const rows = await this.queries.correlation(correlationId);
      if (expectsJson(req.headers))
        return this.json(res, { correlation_id: correlationId, messages: rows.map(snakeKeys) });
      return views.traceView(this.context(req, res, {}), correlationId, rows);
    }

    @Get('dead-letters')
    @Header('Content-Type', 'text/html; charset=utf-8')
    async deadLetters(
      @Query() raw: Record<string, unknown>,
      @Req() req: PanelRequest,
      @Res({ passthrough: true }) res: PanelResponse,
    ) {
      const letters = await this.queries.deadLetters();
      if (expectsJson(req.headers)) return this.json(res, { data: letters.map(snakeKeys) });
      return views.deadLetterList(this.context(req, res, raw), letters);
    }

    @Get('retries')
    @Header('Content-Type', 'text/html; charset=utf-8')
    async retries(
      @Query() raw: Record<string, unknown>,
      @Req() req: PanelRequest,
      @Res({ passthrough: true }) res: PanelResponse,
    ) {
      const retries = await this.queries.dueRetries(this.clock.now());
      if (expectsJson(req.headers)) {
        return this.json(res, { data: retries.map(({ row, due }) => ({ ...snakeKeys(row), due })) });
      }
      return views.retryList(this.context(req, res, raw), retries);
    }

    @Get('connections')
    @Header('Content-Type', 'text/html; charset=utf-8')
    async connectionsPage(
      @Query() raw: Record<string, unknown>,
      @Req() req: PanelRequest,
      @Res({ passthrough: true }) res: PanelResponse,
    ) {
      const enabled = this.connections.activeChecksEnabled;
      const list = await this.connections.list(true);
      if (expectsJson(req.headers)) {
        return this.json(res, { active_checks_enabled: enabled, connections: list.map(connectionJson) });
      }
      return connectionList(this.context(req, res, raw), list, enabled, this.healthWindow());
    }

    @Post('connections/:direction/:service/check')
    async check(
      @Param('direction') direction: string,
      @Param('service') service: string,
      @Req() req: PanelRequest,
      @Res() res: unknown,
    ) {
      const body = await readPanelForm(req);
      this.checkCsrf(req, body);
      const facts = this.connections.find(direction, service);
      if (!facts) throw new NotFoundException('No such Talkto connection.');
      if (!this.connections.activeChecksEnabled) {
        const off = { success: false, message: 'Active health checks are disabled.' };
        return this.answer(req, res, off, 'connections.index', `${this.base}/connections${flashQuery(off)}`);
      }
      const active = await this.connections.check(facts.direction, facts.service);
      const result = {
        success: active.status === 'healthy',
        message: `${facts.service}: ${active.status} (${active.detail}).`,
      };
      const url = `${this.base}/connections${flashQuery(result)}#${facts.direction}-${facts.service}`;
      // The check itself succeeded whatever the peer answered: 200, with the peer's status in `meta`.
      const meta = { direction: facts.direction, service: facts.service, active_health: snakeKeys(active) };
      return this.answer(req, res, { ...result, success: true }, 'connections.index', url, meta);
    }

    @Post('dead-letters/:id/reprocess')
    async reprocess(@Param('id') id: string, @Req() req: PanelRequest, @Res() res: unknown) {
      const body = await readPanelForm(req);
      this.checkCsrf(req, body);
      const result = this.operations
        ? await this.operations.reprocessDeadLetter(Number(id), body.force === '1' || body.force === 'true')
        : { success: false, message: 'Dead-letter reprocessing is not available.' };
      return this.answer(req, res, result, 'messages.show', `${this.base}/dead-letters${flashQuery(result)}`);
    }

    @Post('messages/:key/retry')
    async retry(@Param('key') key: string, @Req() req: PanelRequest, @Res() res: unknown) {
      const body = await readPanelForm(req);
      this.checkCsrf(req, body);
      const result = this.operations
        ? await this.operations.retryNow(key)
        : { success: false, message: 'Manual retry is not available.' };
      const url = `${this.base}/messages/${encodeURIComponent(key)}${flashQuery(result)}`;
      return this.answer(req, res, result, 'messages.show', url, { message: key });
    }

    /** The token from the form field or, for a script, the `X-CSRF-Token` header; both must match the cookie. */
    private checkCsrf(req: PanelRequest, body: Record<string, string>) {
      const header = req.headers['x-csrf-token'];
      const sent = body[CSRF_FIELD] ?? (Array.isArray(header) ? header[0] : header);
      if (!csrfMatches(readCookie(req.headers.cookie, CSRF_COOKIE), sent)) {
        throw new ForbiddenException('Invalid or missing CSRF token.');
      }
    }

    /** An action's answer: §14's result JSON (200 or 422) when expected, else back to the page with a flash. */
    private answer(
      req: PanelRequest,
      res: unknown,
      result: PanelActionResult,
      route: string,
      url: string,
      meta: Record<string, unknown> = {},
    ): void {
      const adapter = this.adapterHost.httpAdapter;
      if (!expectsJson(req.headers)) {
        adapter.redirect(res, 302, url);
        return;
      }
      adapter.reply(res, actionJson(result, route, meta), result.success ? 200 : 422);
    }

    /** A JSON page: the content type set here wins over the route's HTML one. */
    private json(res: PanelResponse, body: unknown): string {
      res.header?.('Content-Type', 'application/json; charset=utf-8');
      return JSON.stringify(body);
    }

    /** §14's detail: payloads as their keys only unless shown, responses and dead-letter headers never. */
    private detailJson(detail: NonNullable<Awaited<ReturnType<PanelQueries['message']>>>) {
      const { message, attempts, events, deadLetter, callbacks } = detail;
      const { lockedBy: _by, lockedUntil: _until, lockedAt: _at, ...shown } = message;
      return {
        message: {
          ...snakeKeys(shown),
          payload: this.payloadJson(message.payload),
          last_response: '[redacted]',
        },
        attempts: attempts.map((attempt) => ({
          ...snakeKeys(attempt),
          request_excerpt: attempt.requestExcerpt === null ? null : '[redacted]',
          response_excerpt: attempt.responseExcerpt === null ? null : '[redacted]',
        })),
        events: events.map(snakeKeys),
        dead_letter: deadLetter && {
          ...snakeKeys(deadLetter),
          payload: this.payloadJson(deadLetter.payload),
          headers: '[redacted]',
        },
        callbacks: callbacks.map(snakeKeys),
      };
    }

    private payloadJson(payload: string | null): unknown {
      if (this.panel.showPayload || payload === null) return this.payloadOf(payload);
      try {
        const value = toPlainValue(decodeTalktoJson(payload));
        const keys =
          value !== null && typeof value === 'object' && !Array.isArray(value) ? Object.keys(value) : [];
        return { redacted: true, keys };
      } catch {
        return { unreadable: true };
      }
    }

    private healthWindow(): string {
      return `${this.panel.healthWindowMs / 60_000} min`;
    }

    /** Reuses the browser's token, or issues one scoped to the panel's path. */
    private context(req: PanelRequest, res: PanelResponse, raw: Record<string, unknown>): PageContext {
      let csrf = readCookie(req.headers.cookie, CSRF_COOKIE);
      if (!csrf || !/^[A-Za-z0-9_-]{32}$/.test(csrf)) {
        csrf = newCsrfToken();
        res.header?.('Set-Cookie', `${CSRF_COOKIE}=${csrf}; Path=${this.base}; HttpOnly; SameSite=Strict`);
      }
      const flash = typeof raw.flash === 'string' ? raw.flash.slice(0, 200) : null;
      return { base: this.base, service: this.options.service, csrf, flash, flashFailed: raw.failed === '1' };
    }

    private payloadOf(payload: string | null): unknown {
      if (payload === null) return null;
      try {
        const value = toPlainValue(decodeTalktoJson(payload));
        return this.panel.showPayload ? this.redactor.redact(value) : { redacted: true };
      } catch {
        return { unreadable: true };
      }
    }
  }
  return TalktoPanelController;
}
