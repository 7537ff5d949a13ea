import type { TalktoMessageEntity } from '../persistence/entities/message.entity.js';
import { CSRF_FIELD } from './csrf.util.js';
import { html, type SafeHtml } from './html.util.js';

export interface PageContext {
  base: string;
  service: string;
  csrf: string;
  flash?: string | null;
  /** The flash reports a refused action. */
  flashFailed?: boolean;
}

export const STYLE = `body{font:14px/1.4 system-ui,sans-serif;margin:0;color:#1f2933;background:#f5f7fa}
header{background:#243b53;color:#fff;padding:10px 20px;display:flex;gap:18px;align-items:center}
header a{color:#d9e2ec;text-decoration:none}header strong{margin-right:12px}main{padding:16px 20px}
table{border-collapse:collapse;width:100%;background:#fff}th,td{border-bottom:1px solid #e4e7eb;padding:6px 8px;text-align:left;vertical-align:top}
th{background:#f0f4f8}.s{padding:1px 6px;border-radius:8px;background:#e4e7eb;font-size:12px}
.s-failed_final,.s-failing{background:#facdcd}.s-failed_retryable,.s-degraded{background:#fce588}
.s-succeeded,.s-completed,.s-healthy,.s-destination_received{background:#c6f7e2}
form.filters{display:flex;gap:8px;flex-wrap:wrap;align-items:center;margin-bottom:12px}form.filters input{width:9em}form.filters input[type=datetime-local]{width:13em}pre{background:#fff;padding:10px;overflow:auto;border:1px solid #e4e7eb}
.flash{padding:8px 12px;background:#dceefb;margin-bottom:12px}.flash.failed{background:#facdcd}
.empty{color:#616e7c;font-style:italic}button{cursor:pointer}
.muted{color:#616e7c;font-size:12px}h2 .muted{font-weight:normal}.s-misconfigured,.s-warning{background:#ffd8a8}
.s-not_configured,.s-not_applicable,.s-unknown{background:#e4e7eb;color:#52606d}
div.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(560px,1fr));gap:16px}
section.card{background:#fff;border:1px solid #e4e7eb;padding:4px 12px 12px}section.card th{width:170px}
p.verdict{font-size:16px;background:#fff;padding:10px;border:1px solid #e4e7eb}ul.events{list-style:none;padding:0}
ul.events li.unseen{color:#9aa5b1}h2{font-size:17px;margin-top:22px}code{font-size:12px}h3{font-size:14px;margin:4px 0}
.stats{display:flex;gap:12px;align-items:center;flex-wrap:wrap}.stat{background:#fff;border:1px solid #e4e7eb;padding:8px 12px;display:flex;flex-direction:column;min-width:170px}
.stat .big{font-size:24px;font-weight:600}.charts{display:flex;gap:16px;flex-wrap:wrap}.charts>div{background:#fff;border:1px solid #e4e7eb;padding:8px;max-width:600px}
figure.chart{margin:0}figure.chart figcaption{font-size:12px;display:flex;gap:12px;flex-wrap:wrap}
.key i,ol.timeline i{display:inline-block;width:10px;height:10px;margin-right:4px;vertical-align:middle}
figure.timeline{margin:0;background:#fff;border:1px solid #e4e7eb;padding:8px}ol.timeline{font-size:13px;margin:8px 0 0;padding-left:28px}
ol.timeline i{border-radius:5px;margin-left:6px}`;

export function status(value: string | null | undefined): SafeHtml {
  return html`<span class="s s-${value ?? ''}">${value ?? '—'}</span>`;
}

export function when(value: Date | null | undefined): string {
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
          <a href="${ctx.base}"><strong>Talkto · ${ctx.service}</strong></a>
          ${nav('/overview', 'Overview')}${nav('/messages', 'Messages')}${nav('/dead-letters', 'Dead letters')}${nav('/retries', 'Retries')}${nav('/connections', 'Connections')}
        </header>
        <main>
          <h1>${title}</h1>
          ${ctx.flash ? html`<div class="flash${ctx.flashFailed ? ' failed' : ''}" role="status">${ctx.flash}</div>` : ''}${body}
        </main>
      </body>
    </html>`.value;
}

export function actionForm(ctx: PageContext, path: string, label: string): SafeHtml {
  return html`<form method="post" action="${ctx.base}${path}" style="display:inline">
    <input type="hidden" name="${CSRF_FIELD}" value="${ctx.csrf}" /><button type="submit">${label}</button>
  </form>`;
}

export function messageLink(ctx: PageContext, row: Pick<TalktoMessageEntity, 'messageId'>): SafeHtml {
  return html`<a href="${ctx.base}/messages/${encodeURIComponent(row.messageId)}">${row.messageId}</a>`;
}
