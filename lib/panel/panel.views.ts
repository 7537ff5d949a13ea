import type { TalktoMessageEntity } from '../persistence/entities/message.entity.js';
import { MessageStatus } from '../persistence/message.statuses.js';
import { html, query, type SafeHtml } from './html.util.js';
import { filterQuery, type MessageFilters } from './message-filters.util.js';
import { actionForm, layout, messageLink, type PageContext, status, when } from './panel-layout.view.js';
import type { PanelQueries, SearchedRange } from './panel.queries.js';
import { correlationLanes, messageLanes } from './timeline.util.js';
import { timeline } from './timeline.view.js';

type Awaited2<T> = T extends Promise<infer U> ? U : T;
type MessageDetail = NonNullable<Awaited2<ReturnType<PanelQueries['message']>>>;

/** Messages as the lists show them: safe columns only. */
export function messageTable(ctx: PageContext, rows: TalktoMessageEntity[]) {
  return html`<table>
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
  </table>`;
}

const STATUS_OPTIONS = ['', ...Object.values(MessageStatus)];

export function messageList(
  ctx: PageContext,
  filters: MessageFilters,
  rows: TalktoMessageEntity[],
  total: number,
  capped: boolean,
  perPage: number,
  searched: SearchedRange | null,
): string {
  const select = (name: string, values: string[], current: string | undefined) =>
    html`<select name="${name}">
      ${values.map(
        (value) =>
          html`<option value="${value}" ${value === (current ?? '') ? html`selected` : ''}>
            ${value || 'any'}
          </option>`,
      )}
    </select>`;
  const input = (name: string, label: string, value: string | undefined) =>
    html`<label>${label} <input name="${name}" value="${value ?? ''}" /></label>`;
  const pages = Math.max(1, Math.ceil(total / perPage));
  const keep = filterQuery(filters);
  return layout(
    ctx,
    'Messages',
    html`<form class="filters" method="get" action="${ctx.base}/messages">
        <label>Direction ${select('direction', ['', 'incoming', 'outgoing'], filters.direction)}</label>
        <label>Status ${select('status', STATUS_OPTIONS, filters.status)}</label>
        <label
          >Completion
          ${select('completion_state', ['', 'completed', 'not_completed'], filters.completionState)}</label
        >
        ${input('service', 'Peer', filters.service)} ${input('command', 'Command', filters.command)}
        ${input('message_id', 'Message id contains', filters.messageId)}
        ${input('correlation_id', 'Correlation id', filters.correlationId)}
        ${input('business_key', 'Business key', filters.businessKey)}
        ${input('idempotency_key', 'Idempotency key contains', filters.idempotencyKey)}
        <label
          >From
          <input name="created_from" type="datetime-local" value="${keep.created_from?.slice(0, 16) ?? ''}"
        /></label>
        <label
          >To <input name="created_to" type="datetime-local" value="${keep.created_to?.slice(0, 16) ?? ''}"
        /></label>
        <button type="submit">Filter</button>
        <a href="${ctx.base}/messages">Clear</a>
      </form>
      <p>
        ${capped ? `more than ${total}` : total} message(s), page ${filters.page} of
        ${capped ? `${pages}+` : pages}
      </p>
      ${searched ? searchedNotice(ctx, keep, searched) : ''} ${messageTable(ctx, rows)}
      ${filters.page > 1 ? html`<a href="${ctx.base}/messages${query({ ...keep, page: filters.page - 1 })}">← newer</a> ` : ''}
      ${filters.page < pages || capped ? html`<a href="${ctx.base}/messages${query({ ...keep, page: filters.page + 1 })}">older →</a>` : ''}`,
  );
}

/** Where a bounded substring search stopped, and the way on to older rows. */
function searchedNotice(
  ctx: PageContext,
  keep: Record<string, string | undefined>,
  searched: SearchedRange,
): SafeHtml {
  const restart = keep.before
    ? html` <a href="${ctx.base}/messages${query({ ...keep, before: undefined })}"
        >Search from the newest again</a
      >`
    : '';
  if (!searched.older) {
    return html`<p class="searched">
      Searched database ids ${searched.from}–${searched.below - 1}, down to the oldest message.${restart}
    </p>`;
  }
  return html`<p class="searched">
    Searched the newest ${searched.below - searched.from} messages below id ${searched.below} (ids
    ${searched.from}–${searched.below - 1}); older messages were not searched.
    <a href="${ctx.base}/messages${query({ ...keep, before: searched.from })}">Search older messages →</a
    >${restart}
  </p>`;
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
        <a href="${ctx.base}/messages/${encodeURIComponent(m.messageId)}/callback-status">Callback status</a>
        <a href="${ctx.base}/messages/${encodeURIComponent(m.messageId)}/trace">Trace</a>
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
      <h2>Timeline</h2>
      ${timeline(ctx.base, messageLanes(m, attempts, events, callbacks))}
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
    html`${timeline(ctx.base, correlationLanes(rows))}
      <table>
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
