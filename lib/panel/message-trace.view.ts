import type { TalktoTrace } from '../operations/trace.interfaces.js';
import { html } from './html.util.js';
import { layout, messageLink, type PageContext, status, when } from './panel-layout.view.js';

/** BEHAVIOR §14 `messages.trace`: what `talkto:trace` prints for one message, as a page. */
export function messageTracePage(ctx: PageContext, trace: TalktoTrace): string {
  const anchor = trace.anchor!;
  return layout(
    ctx,
    `Trace of ${anchor.messageId}`,
    html`<p>
        ${messageLink(ctx, anchor)} <span class="muted">${anchor.direction} ${anchor.command}</span>
        ${status(anchor.overallStatus)} · ${trace.messages.length} messages, ${trace.callbacks.length} result
        callbacks${trace.truncated ? html` · <strong>cut at ${trace.limit} rows</strong>` : ''}
      </p>
      <table>
        <thead>
          <tr>
            <th>When</th>
            <th>Message</th>
            <th>Kind</th>
            <th>What</th>
          </tr>
        </thead>
        <tbody>
          ${trace.timeline.map(
            (entry) =>
              html`<tr>
                <td>${when(entry.at)}</td>
                <td>${entry.messageId === null ? '—' : messageLink(ctx, { messageId: entry.messageId })}</td>
                <td>${entry.kind.replace('_', ' ')}</td>
                <td>${entry.label}</td>
              </tr>`,
          )}
        </tbody>
      </table>`,
  );
}
