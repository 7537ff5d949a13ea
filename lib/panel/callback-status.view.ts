import type { CallbackInspection } from './callback-status.inspector.js';
import { html } from './html.util.js';
import { layout, messageLink, type PageContext, status } from './panel-layout.view.js';

type Summary = CallbackInspection['message'] | null;

export function callbackStatusPage(ctx: PageContext, inspection: CallbackInspection): string {
  const row = (label: string, value: unknown) =>
    html`<tr>
      <th>${label}</th>
      <td>${value ?? '—'}</td>
    </tr>`;
  const message = (summary: Summary) =>
    summary
      ? html`${messageLink(ctx, summary)}
          <span class="muted">${summary.direction} ${summary.command}</span> ${status(summary.overallStatus)}`
      : '—';
  const { attempts, deadLetter } = inspection;
  return layout(
    ctx,
    `Callback status of ${inspection.message.messageId}`,
    html`<p class="verdict">
        ${status(inspection.state)} <strong>${inspection.label}</strong> — ${inspection.summary}
      </p>
      <table>
        <tbody>
          ${row('Applicable', inspection.applicable ? 'yes' : 'no')} ${row('Context', inspection.context)}
          ${row('State', inspection.state)} ${row('Message', message(inspection.message))}
          ${row('Callback message', message(inspection.callbackMessage))}
          ${row('Parent message', message(inspection.parentMessage))}
          ${row(
            'Callback attempts',
            attempts.count === 0
              ? 'none'
              : `${attempts.count}, last ${attempts.lastStatus ?? '—'}${attempts.lastHttpStatus ? ` (HTTP ${attempts.lastHttpStatus})` : ''}${attempts.lastError ? `: ${attempts.lastError}` : ''}`,
          )}
          ${row(
            'Callback dead letter',
            deadLetter.exists
              ? `#${deadLetter.id} ${deadLetter.status} (failed as ${deadLetter.failedStatus})`
              : 'none',
          )}
        </tbody>
      </table>
      <h2>Callback events on this message</h2>
      <ul class="events">
        ${Object.entries(inspection.events).map(
          ([type, seen]) => html`<li class="${seen ? 'seen' : 'unseen'}">${seen ? '✔' : '·'} ${type}</li>`,
        )}
      </ul>
      <p>
        <a href="${ctx.base}/messages/${encodeURIComponent(inspection.message.messageId)}"
          >← back to the message</a
        >
      </p>`,
  );
}
