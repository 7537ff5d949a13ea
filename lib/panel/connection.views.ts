import type { TalktoMessageEntity } from '../persistence/entities/message.entity.js';
import { html, type SafeHtml } from './html.util.js';
import type { PanelConnection } from './panel-connections.service.js';
import { actionForm, layout, type PageContext, status, when } from './panel-layout.view.js';
import { messageTable } from './panel.views.js';

const list = (items: string[]) => (items.length === 0 ? '—' : items.join(', '));
const yes = (value: boolean) => (value ? 'yes' : 'no');
const connectionId = (c: PanelConnection) => `${c.facts.direction}-${c.facts.service}`;

/** Passive health of every connection, one line each (the index page's table). */
function healthTable(ctx: PageContext, connections: PanelConnection[], window: string): SafeHtml {
  return html`<table class="health">
    <thead>
      <tr>
        <th>Peer</th>
        <th>Direction</th>
        <th>Health (${window})</th>
        <th>Last message</th>
        <th>Last success</th>
        <th>Last failure</th>
        <th>Warnings</th>
      </tr>
    </thead>
    <tbody>
      ${connections.map(
        (c) =>
          html`<tr id="${connectionId(c)}">
            <td><a href="${ctx.base}/connections#${connectionId(c)}">${c.facts.service}</a></td>
            <td>${c.facts.direction}</td>
            <td>${status(c.passive.state)}</td>
            <td>${when(c.passive.lastMessageAt)}</td>
            <td>${when(c.passive.lastSuccessAt)}</td>
            <td>${when(c.passive.lastFailureAt)}</td>
            <td>${list(c.passive.warnings)}</td>
          </tr>`,
      )}
    </tbody>
  </table>`;
}

export function indexPage(
  ctx: PageContext,
  latest: TalktoMessageEntity[],
  connections: PanelConnection[],
  window: string,
): string {
  return layout(
    ctx,
    'Talkto',
    html`<h2>Connections</h2>
      ${connections.length === 0 ? html`<p class="empty">No peer is configured.</p>` : healthTable(ctx, connections, window)}
      <h2>Latest messages</h2>
      ${latest.length === 0 ? html`<p class="empty">No message yet.</p>` : messageTable(ctx, latest)}
      <p><a href="${ctx.base}/messages">All messages →</a></p>`,
  );
}

function activeCell(ctx: PageContext, c: PanelConnection, enabled: boolean): SafeHtml {
  const a = c.active;
  if (!a) return html`—`;
  const check =
    enabled && c.facts.healthUrl && a.status !== 'misconfigured'
      ? actionForm(
          ctx,
          `/connections/${c.facts.direction}/${encodeURIComponent(c.facts.service)}/check`,
          'Check now',
        )
      : '';
  return html`${status(a.status)}
    <span class="muted">${a.detail}</span>
    ${a.checkedAt ? html`<br /><span class="muted">at ${when(a.checkedAt)}, ${a.durationMs} ms</span>` : ''}
    ${check}`;
}

export function connectionList(
  ctx: PageContext,
  connections: PanelConnection[],
  activeEnabled: boolean,
  window: string,
): string {
  return layout(
    ctx,
    'Connections',
    html`<p class="muted">
        Active health checks are
        ${activeEnabled ? 'on' : 'off'}${activeEnabled ? '' : ' (panel.activeHealthChecks.enabled)'}. Passive
        health reads the last ${window} of stored traffic.
      </p>
      ${connections.length === 0 ? html`<p class="empty">No peer is configured.</p>` : ''}
      <div class="cards">
        ${connections.map(
          (c) =>
            html`<section class="card" id="${connectionId(c)}">
              <h2>
                ${c.facts.service} <span class="muted">${c.facts.direction}</span> ${status(c.passive.state)}
              </h2>
              <table>
                <tbody>
                  <tr>
                    <th>Configured</th>
                    <td>
                      ${yes(c.facts.configured)}; URL ${yes(c.facts.urlConfigured)}; secret
                      ${yes(c.facts.secretConfigured)}
                    </td>
                  </tr>
                  ${
                    c.facts.endpoint
                      ? html`<tr>
                          <th>Endpoint</th>
                          <td><code>${c.facts.endpoint}</code></td>
                        </tr>`
                      : ''
                  }
                  ${
                    c.facts.direction === 'incoming'
                      ? html`<tr>
                          <th>Allowed commands</th>
                          <td>${list(c.facts.commands)}</td>
                        </tr>`
                      : ''
                  }
                  ${Object.entries(c.facts.meta).map(
                    ([key, value]) =>
                      html`<tr>
                        <th>${key[0].toUpperCase()}${key.slice(1).replace(/_/g, ' ')}</th>
                        <td>${value}</td>
                      </tr>`,
                  )}
                  <tr>
                    <th>Configuration warnings</th>
                    <td>
                      ${c.facts.warnings.length === 0 ? '—' : c.facts.warnings.map((w) => html`<span class="s s-warning">${w}</span> `)}
                    </td>
                  </tr>
                  <tr>
                    <th>Passive health (${window})</th>
                    <td>
                      ${status(c.passive.state)} ${list(c.passive.warnings)}<br />
                      <span class="muted"
                        >last message ${when(c.passive.lastMessageAt)} · last success
                        ${when(c.passive.lastSuccessAt)} · last failure ${when(c.passive.lastFailureAt)} ·
                        recent ${list(Object.entries(c.passive.recent).map(([k, v]) => `${k} ${v}`))}</span
                      >
                    </td>
                  </tr>
                  <tr>
                    <th>Active health</th>
                    <td>
                      ${c.facts.healthUrl ? html`<code>${c.facts.healthMethod} ${c.facts.healthUrl}</code><br />` : ''}
                      ${activeCell(ctx, c, activeEnabled)}
                    </td>
                  </tr>
                </tbody>
              </table>
            </section>`,
        )}
      </div>`,
  );
}
