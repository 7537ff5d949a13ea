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
  Redirect,
  Req,
  Res,
  type Type,
  UseGuards,
} from '@nestjs/common';
import { TalktoClock } from '../clock/talkto.clock.js';
import type { ResolvedTalktoOptions } from '../config/resolved-options.interface.js';
import { TalktoRedactor } from '../operations/talkto.redactor.js';
import { decodeTalktoJson } from '../protocol/json/json-reader.js';
import { toPlainValue } from '../protocol/json/plain-value.js';
import { TALKTO_RESOLVED_OPTIONS } from '../talkto.constants.js';
import { CSRF_COOKIE, CSRF_FIELD, csrfMatches, newCsrfToken, readCookie } from './csrf.util.js';
import { query as toQuery } from './html.util.js';
import { readPanelForm } from './panel-form.util.js';
import { type PanelActionResult, TalktoPanelOperations } from './panel-operations.port.js';
import { CallbackStatusInspector } from './callback-status.inspector.js';
import { callbackStatusPage } from './callback-status.view.js';
import { connectionList, indexPage } from './connection.views.js';
import { parseMessageFilters } from './message-filters.util.js';
import { overviewPage } from './overview.view.js';
import { PanelConnections } from './panel-connections.service.js';
import { PanelOverview } from './panel-overview.service.js';
import type { PageContext } from './panel-layout.view.js';
import { type ResolvedPanelOptions, TALKTO_PANEL_OPTIONS } from './panel-options.resolver.js';
import { PanelQueries } from './panel.queries.js';
import * as views from './panel.views.js';

interface PanelRequest {
  headers: Record<string, string | string[] | undefined>;
  body?: unknown;
  rawBody?: Buffer;
}
interface PanelResponse {
  header?: (name: string, value: string) => unknown;
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
      return indexPage(this.context(req, res, {}), latest, connections, this.healthWindow());
    }

    @Get('overview')
    @Header('Content-Type', 'text/html; charset=utf-8')
    async overviewPage(
      @Query() raw: Record<string, unknown>,
      @Req() req: PanelRequest,
      @Res({ passthrough: true }) res: PanelResponse,
    ) {
      return overviewPage(this.context(req, res, raw), await this.overview.build(raw.peer));
    }

    @Get('messages')
    @Header('Content-Type', 'text/html; charset=utf-8')
    async messages(
      @Query() raw: Record<string, unknown>,
      @Req() req: PanelRequest,
      @Res({ passthrough: true }) res: PanelResponse,
    ) {
      const filters = parseMessageFilters(raw);
      const { rows, total, capped } = await this.queries.messages(filters, this.panel.perPage);
      return views.messageList(this.context(req, res, raw), filters, rows, total, capped, this.panel.perPage);
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
      return callbackStatusPage(this.context(req, res, {}), await this.inspector.inspect(message));
    }

    @Get('trace/:correlationId')
    @Header('Content-Type', 'text/html; charset=utf-8')
    async trace(
      @Param('correlationId') correlationId: string,
      @Req() req: PanelRequest,
      @Res({ passthrough: true }) res: PanelResponse,
    ) {
      const rows = await this.queries.correlation(correlationId);
      return views.traceView(this.context(req, res, {}), correlationId, rows);
    }

    @Get('dead-letters')
    @Header('Content-Type', 'text/html; charset=utf-8')
    async deadLetters(
      @Query() raw: Record<string, unknown>,
      @Req() req: PanelRequest,
      @Res({ passthrough: true }) res: PanelResponse,
    ) {
      return views.deadLetterList(this.context(req, res, raw), await this.queries.deadLetters());
    }

    @Get('retries')
    @Header('Content-Type', 'text/html; charset=utf-8')
    async retries(
      @Query() raw: Record<string, unknown>,
      @Req() req: PanelRequest,
      @Res({ passthrough: true }) res: PanelResponse,
    ) {
      return views.retryList(this.context(req, res, raw), await this.queries.dueRetries(this.clock.now()));
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
      return connectionList(this.context(req, res, raw), list, enabled, this.healthWindow());
    }

    @Post('connections/:direction/:service/check')
    @Redirect()
    async check(
      @Param('direction') direction: string,
      @Param('service') service: string,
      @Req() req: PanelRequest,
    ) {
      const body = await readPanelForm(req);
      this.checkCsrf(req, body);
      const facts = this.connections.find(direction, service);
      if (!facts) throw new NotFoundException('No such Talkto connection.');
      const result: PanelActionResult = this.connections.activeChecksEnabled
        ? await this.connections.check(facts.direction, facts.service).then((active) => ({
            success: active.status === 'healthy',
            message: `${facts.service}: ${active.status} (${active.detail}).`,
          }))
        : { success: false, message: 'Active health checks are disabled.' };
      return { url: `${this.base}/connections${flashQuery(result)}#${facts.direction}-${facts.service}` };
    }

    @Post('dead-letters/:id/reprocess')
    @Redirect()
    async reprocess(@Param('id') id: string, @Req() req: PanelRequest) {
      const body = await readPanelForm(req);
      this.checkCsrf(req, body);
      const result = this.operations
        ? await this.operations.reprocessDeadLetter(Number(id), body.force === '1')
        : { success: false, message: 'Dead-letter reprocessing is not available.' };
      return { url: `${this.base}/dead-letters${flashQuery(result)}` };
    }

    @Post('messages/:key/retry')
    @Redirect()
    async retry(@Param('key') key: string, @Req() req: PanelRequest) {
      const body = await readPanelForm(req);
      this.checkCsrf(req, body);
      const result = this.operations
        ? await this.operations.retryNow(key)
        : { success: false, message: 'Manual retry is not available.' };
      return { url: `${this.base}/messages/${encodeURIComponent(key)}${flashQuery(result)}` };
    }

    private checkCsrf(req: PanelRequest, body: Record<string, string>) {
      if (!csrfMatches(readCookie(req.headers.cookie, CSRF_COOKIE), body[CSRF_FIELD])) {
        throw new ForbiddenException('Invalid or missing CSRF token.');
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
