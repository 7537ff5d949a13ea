import type { TalktoMessageEntity } from '../persistence/entities/message.entity.js';
import { CSRF_FIELD } from './csrf.util.js';
import { html, query, type SafeHtml } from './html.util.js';
import type { MessageFilters, PanelQueries, PeerHealth } from './panel.queries.js';

type Awaited2<T> = T extends Promise<infer U> ? U : T;
type MessageDetail = NonNullable<Awaited2<ReturnType<PanelQueries['message']>>>;

export interface PageContext {
  base: string;
  service: string;
  csrf: string;
  flash?: string | null;
  /** The flash reports a refused action. */
  flashFailed?: boolean;
}

const STYLE = `body{font:14px/1.4 system-ui,sans-serif;margin:0;color:#1f2933;background:#f5f7fa}
header{background:#243b53;color:#fff;padding:10px 20px;display:flex;gap:18px;align-items:center}
header a{color:#d9e2ec;text-decoration:none}header strong{margin-right:12px}main{padding:16px 20px}
table{border-collapse:collapse;width:100%;background:#fff}th,td{border-bottom:1px solid #e4e7eb;padding:6px 8px;text-align:left;vertical-align:top}
th{background:#f0f4f8}.s{padding:1px 6px;border-radius:8px;background:#e4e7eb;font-size:12px}
.s-failed_final,.s-failing{background:#facdcd}.s-failed_retryable,.s-degraded{background:#fce588}
.s-succeeded,.s-completed,.s-healthy,.s-destination_received{background:#c6f7e2}
form.filters{display:flex;gap:8px;flex-wrap:wrap;align-items:center;margin-bottom:12px}form.filters input{width:9em}form.filters input[type=datetime-local]{width:13em}pre{background:#fff;padding:10px;overflow:auto;border:1px solid #e4e7eb}
.flash{padding:8px 12px;background:#dceefb;margin-bottom:12px}.flash.failed{background:#facdcd}
.empty{color:#616e7c;font-style:italic}button{cursor:pointer}`;

function status(value: string | null | undefined): SafeHtml {
  return html`<span class="s s-${value ?? ''}">${value ?? '—'}</span>`;
}

function when(value: Date | null | undefined): string {
  return value ? value.toISOString().replace('T', ' ').slice(0, 19) : '—';
}

export function layout(ctx: PageContext, title: string, body: SafeHtml): string {
  const nav = (path: string, label: string) => html`<a href="${ctx.base}${path}">${label}</a>`;
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <title>${title} · Talkto</title>
        <style>
          ${STYLE}
        </style>
      </head>
      <body>
        <header>
          <strong>Talkto · ${ctx.service}</strong>
          ${nav('/messages', 'Messages')}${nav('/dead-letters', 'Dead letters')}${nav('/retries', 'Retries')}${nav('/connections', 'Connections')}
        </header>
        <main>
          <h1>${title}</h1>
          ${ctx.flash ? html`<div class="flash${ctx.flashFailed ? ' failed' : ''}" role="status">${ctx.flash}</div>` : ''}${body}
        </main>
      </body>
    </html>`.value;
}

function actionForm(ctx: PageContext, path: string, label: string): SafeHtml {
  return html`<form method="post" action="${ctx.base}${path}" style="display:inline">
    <input type="hidden" name="${CSRF_FIELD}" value="${ctx.csrf}" /><button type="submit">${label}</button>
  </form>`;
}

function messageLink(ctx: PageContext, row: Pick<TalktoMessageEntity, 'messageId'>): SafeHtml {
  return html`<a href="${ctx.base}/messages/${encodeURIComponent(row.messageId)}">${row.messageId}</a>`;
}

export function messageList(
  ctx: PageContext,
  filters: MessageFilters,
  rows: TalktoMessageEntity[],
  total: number,
  perPage: number,
): string {
  const option = (value: string, current?: string) =>
    html`<option value="${value}" ${value === (current ?? '') ? html`selected` : ''}>
      ${value || 'any'}
    </option>`;
  const pages = Math.max(1, Math.ceil(total / perPage));
  const keep = {
    direction: filters.direction,
    status: filters.status,
    peer: filters.peer,
    command: filters.command,
    from: filters.from?.toISOString(),
    to: filters.to?.toISOString(),
  };
  return layout(
    ctx,
    'Messages',
    html`<form class="filters" method="get" action="${ctx.base}/messages">
        <label
          >Direction
          <select name="direction">
            ${['', 'incoming', 'outgoing'].map((v) => option(v, filters.direction))}
          </select></label
        >
        <label>Status <input name="status" value="${filters.status ?? ''}" /></label>
        <label>Peer <input name="peer" value="${filters.peer ?? ''}" /></label>
        <label>Command <input name="command" value="${filters.command ?? ''}" /></label>
        <label
          >From <input name="from" type="datetime-local" value="${keep.from?.slice(0, 16) ?? ''}"
        /></label>
        <label>To <input name="to" type="datetime-local" value="${keep.to?.slice(0, 16) ?? ''}" /></label>
        <button type="submit">Filter</button>
      </form>
      <p>${total} message(s), page ${filters.page} of ${pages}</p>
      <table>
        <thead>
          <tr>
            <th>Message</th>
            <th>Direction</th>
            <th>From → to</th>
            <th>Command</th>
            <th>Status</th>
            <th>Attempts</th>
            <th>Created</th>
          </tr>
        </thead>
        <tbody>
          ${rows.map(
            (row) =>
              html`<tr>
                <td>${messageLink(ctx, row)}</td>
                <td>${row.direction}</td>
                <td>${row.sourceService} → ${row.targetService}</td>
                <td>${row.command}</td>
                <td>${status(row.overallStatus)}</td>
                <td>${row.attempts}</td>
                <td>${when(row.createdAt)}</td>
              </tr>`,
          )}
        </tbody>
      </table>
      ${filters.page > 1 ? html`<a href="${ctx.base}/messages${query({ ...keep, page: filters.page - 1 })}">← newer</a> ` : ''}
      ${filters.page < pages ? html`<a href="${ctx.base}/messages${query({ ...keep, page: filters.page + 1 })}">older →</a>` : ''}`,
  );
}

export function messageDetail(ctx: PageContext, detail: MessageDetail, payload: unknown): string {
  const { message: m, attempts, events, deadLetter, callbacks } = detail;
  const fields: Array<[string, unknown]> = [
    ['Message id', m.messageId],
    ['Correlation id', m.correlationId],
    ['Parent', m.parentMessageId],
    ['Direction', m.direction],
    ['Source → target', `${m.sourceService} → ${m.targetService}`],
    ['Command', m.command],
    ['Transport', m.transportStatus],
    ['Destination action', m.destinationActionStatus],
    ['Attempts / max', `${m.attempts} / ${m.maxAttempts}`],
    ['Next retry', when(m.nextRetryAt)],
    ['Last HTTP status', m.lastHttpStatus],
    ['Traceparent', m.traceparent],
    ['Created', when(m.createdAt)],
  ];
  return layout(
    ctx,
    `Message ${m.messageId}`,
    html`<p>
        ${status(m.overallStatus)}
        ${m.overallStatus === 'failed_retryable' ? actionForm(ctx, `/messages/${encodeURIComponent(m.messageId)}/retry`, 'Retry now') : ''}
        ${m.correlationId ? html` <a href="${ctx.base}/trace/${encodeURIComponent(m.correlationId)}">Correlation trace</a>` : ''}
      </p>
      <table>
        <tbody>
          ${fields.map(
            ([label, value]) =>
              html`<tr>
                <th>${label}</th>
                <td>${value ?? '—'}</td>
              </tr>`,
          )}
        </tbody>
      </table>
      <h2>Callback state</h2>
      ${
        callbacks.length === 0
          ? html`<p>No callback recorded.</p>`
          : html`<table>
              <tbody>
                ${callbacks.map(
                  (c) =>
                    html`<tr>
                      <td>${messageLink(ctx, c)}</td>
                      <td>${c.direction}</td>
                      <td>${c.command}</td>
                      <td>${status(c.overallStatus)}</td>
                    </tr>`,
                )}
              </tbody>
            </table>`
      }
      <h2>Attempts</h2>
      <table>
        <thead>
          <tr>
            <th>#</th>
            <th>Stage</th>
            <th>Status</th>
            <th>HTTP</th>
            <th>Error</th>
            <th>At</th>
          </tr>
        </thead>
        <tbody>
          ${attempts.map(
            (a) =>
              html`<tr>
                <td>${a.attemptNo}</td>
                <td>${a.stage}</td>
                <td>${status(a.status)}</td>
                <td>${a.httpStatus ?? ''}</td>
                <td>${a.errorMessage ?? ''}</td>
                <td>${when(a.createdAt)}</td>
              </tr>`,
          )}
        </tbody>
      </table>
      <h2>Events</h2>
      <table>
        <thead>
          <tr>
            <th>Event</th>
            <th>From</th>
            <th>To</th>
            <th>At</th>
          </tr>
        </thead>
        <tbody>
          ${events.map(
            (e) =>
              html`<tr>
                <td>${e.eventType}</td>
                <td>${e.oldStatus ?? ''}</td>
                <td>${e.newStatus ?? ''}</td>
                <td>${when(e.createdAt)}</td>
              </tr>`,
          )}
        </tbody>
      </table>
      <h2>Dead letter</h2>
      ${deadLetter ? html`<p>${status(deadLetter.status)} ${deadLetter.failureReason ?? ''} ${actionForm(ctx, `/dead-letters/${deadLetter.id}/reprocess`, 'Reprocess')}</p>` : html`<p>None.</p>`}
      <h2>Payload (redacted)</h2>
      <pre>${JSON.stringify(payload, null, 2)}</pre>`,
  );
}

export function deadLetterList(
  ctx: PageContext,
  rows: Awaited2<ReturnType<PanelQueries['deadLetters']>>,
): string {
  return layout(
    ctx,
    'Dead letters',
    rows.length === 0
      ? html`<p class="empty">No dead letters.</p>`
      : html`<table>
          <thead>
            <tr>
              <th>#</th>
              <th>Message</th>
              <th>Direction</th>
              <th>Command</th>
              <th>Reason</th>
              <th>Status</th>
              <th>Reprocessed</th>
              <th></th>
            </tr>
          </thead>
          <tbody>
            ${rows.map(
              (d) =>
                html`<tr>
                  <td>${d.id}</td>
                  <td>${d.messageId ? messageLink(ctx, { messageId: d.messageId }) : ''}</td>
                  <td>${d.direction}</td>
                  <td>${d.command}</td>
                  <td>${d.failureReason ?? ''}</td>
                  <td>${status(d.status)}</td>
                  <td>${d.reprocessCount}</td>
                  <td>
                    ${d.status === 'open' || d.status === 'failed_reprocess' ? actionForm(ctx, `/dead-letters/${d.id}/reprocess`, 'Reprocess') : ''}
                  </td>
                </tr>`,
            )}
          </tbody>
        </table>`,
  );
}

export function retryList(ctx: PageContext, rows: Awaited2<ReturnType<PanelQueries['dueRetries']>>): string {
  return layout(
    ctx,
    'Retries',
    rows.length === 0
      ? html`<p class="empty">No message is waiting for a retry.</p>`
      : html`<table>
          <thead>
            <tr>
              <th>Message</th>
              <th>Direction</th>
              <th>Command</th>
              <th>Retries</th>
              <th>Next retry</th>
              <th>Last error</th>
              <th></th>
            </tr>
          </thead>
          <tbody>
            ${rows.map(
              ({ row, due }) =>
                html`<tr>
                  <td>${messageLink(ctx, row)}</td>
                  <td>${row.direction}</td>
                  <td>${row.command}</td>
                  <td>${row.retryCount} / ${row.maxAttempts}</td>
                  <td>
                    ${when(row.nextRetryAt)} ${due ? html`<span class="s s-failed_retryable">due</span>` : ''}
                  </td>
                  <td>${row.lastError ?? ''}</td>
                  <td>
                    ${actionForm(ctx, `/messages/${encodeURIComponent(row.messageId)}/retry`, 'Retry now')}
                  </td>
                </tr>`,
            )}
          </tbody>
        </table>`,
  );
}

export function traceView(ctx: PageContext, correlationId: string, rows: TalktoMessageEntity[]): string {
  return layout(
    ctx,
    `Trace ${correlationId}`,
    html`<table>
      <thead>
        <tr>
          <th>Created</th>
          <th>Message</th>
          <th>Direction</th>
          <th>From → to</th>
          <th>Command</th>
          <th>Status</th>
        </tr>
      </thead>
      <tbody>
        ${rows.map(
          (row) =>
            html`<tr>
              <td>${when(row.createdAt)}</td>
              <td>${messageLink(ctx, row)}</td>
              <td>${row.direction}</td>
              <td>${row.sourceService} → ${row.targetService}</td>
              <td>${row.command}</td>
              <td>${status(row.overallStatus)}</td>
            </tr>`,
        )}
      </tbody>
    </table>`,
  );
}

export function connectionList(ctx: PageContext, peers: PeerHealth[]): string {
  return layout(
    ctx,
    'Connections',
    html`<table>
      <thead>
        <tr>
          <th>Peer</th>
          <th>Health</th>
          <th>Last success</th>
          <th>Last failure</th>
          <th>Open dead letters</th>
          <th>Retry backlog</th>
        </tr>
      </thead>
      <tbody>
        ${peers.map(
          (p) =>
            html`<tr>
              <td>${p.peer}</td>
              <td>${status(p.state)}</td>
              <td>${when(p.lastSuccessAt)}</td>
              <td>${when(p.lastFailureAt)}</td>
              <td>${p.deadLetters}</td>
              <td>${p.retryBacklog}</td>
            </tr>`,
        )}
      </tbody>
    </table>`,
  );
}
