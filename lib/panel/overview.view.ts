import { html, query, type SafeHtml } from './html.util.js';
import { type LatencySample, percentile } from './overview.queries.js';
import type { Overview, WindowOverview } from './panel-overview.service.js';
import { layout, type PageContext, status } from './panel-layout.view.js';
import type { PanelDirection } from './panel.queries.js';
import { lines, stackedBars } from './svg-chart.util.js';

const COLORS = { succeeded: '#3ebd93', failed: '#e12d39', in_flight: '#9aa5b1' };

function duration(ms: number | null): string {
  if (ms === null) return '—';
  if (ms < 1000) return `${ms} ms`;
  if (ms < 120_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${(ms / 60_000).toFixed(1)} min`;
}

function share(figures: WindowOverview, direction: PanelDirection): SafeHtml {
  const counts = figures.throughput[direction];
  const total = [counts.succeeded, counts.failed, counts.in_flight].flat().reduce((a, b) => a + b, 0);
  const succeeded = counts.succeeded.reduce((a, b) => a + b, 0);
  const failed = counts.failed.reduce((a, b) => a + b, 0);
  return html`<div class="stat">
    <span class="big">${total === 0 ? '—' : `${((succeeded / total) * 100).toFixed(1)}%`}</span>
    <span>succeeded of ${total} ${direction}</span>
    <span class="muted">${failed} failed, ${total - succeeded - failed} in flight</span>
  </div>`;
}

function throughputChart(figures: WindowOverview, direction: PanelDirection, title: string): SafeHtml {
  const counts = figures.throughput[direction];
  return html`<div>
    <h3>${title}</h3>
    ${stackedBars(
      {
        unit: 'messages per minute',
        start: figures.window.start,
        bucketSeconds: figures.window.bucketSeconds,
        series: [
          { label: 'succeeded', color: COLORS.succeeded, values: counts.succeeded },
          { label: 'failed', color: COLORS.failed, values: counts.failed },
          { label: 'in flight', color: COLORS.in_flight, values: counts.in_flight },
        ],
      },
      `${title}: messages per minute by outcome`,
    )}
  </div>`;
}

function latencyRow(label: string, sample: LatencySample): SafeHtml {
  const at = (p: number) => duration(percentile(sample.values, p));
  return html`<tr>
    <td>${label}</td>
    <td>${at(50)}</td>
    <td>${at(90)}</td>
    <td>${at(99)}</td>
    <td>${duration(sample.values.at(-1) ?? null)}</td>
    <td>${sample.values.length}${sample.capped ? ' (newest only)' : ''}</td>
  </tr>`;
}

export function overviewPage(ctx: PageContext, o: Overview): string {
  const peerLink = (peer: string | null, label: string) =>
    peer === o.peer
      ? html`<strong>${label}</strong>`
      : html`<a href="${ctx.base}/overview${query({ peer: peer ?? undefined })}">${label}</a>`;
  const health = new Map(o.connections.map((c) => [`${c.facts.direction} ${c.facts.service}`, c.passive]));
  const trafficRows = o.connections.map((c) => {
    const traffic = o.traffic.find((t) => t.direction === c.facts.direction && t.peer === c.facts.service);
    return { direction: c.facts.direction, peer: c.facts.service, traffic };
  });
  return layout(
    ctx,
    o.peer ? `Overview · ${o.peer}` : 'Overview',
    html`<p class="peers">
        Peer: ${peerLink(null, 'all')} ${o.peers.map((peer) => html` · ${peerLink(peer, peer)}`)}
      </p>
      <h2>Share that succeeded</h2>
      <div class="stats">
        ${share(o.hour, 'outgoing')} ${share(o.hour, 'incoming')}
        <span class="muted">last hour</span> ${share(o.day, 'outgoing')} ${share(o.day, 'incoming')}
        <span class="muted">last 24 hours</span>
      </div>
      <h2>Messages per minute, last hour</h2>
      <div class="charts">
        ${throughputChart(o.hour, 'outgoing', 'Outgoing, last hour')}
        ${throughputChart(o.hour, 'incoming', 'Incoming, last hour')}
      </div>
      <h2>Messages per minute, last 24 hours (15-minute bars)</h2>
      <div class="charts">
        ${throughputChart(o.day, 'outgoing', 'Outgoing, last 24 hours')}
        ${throughputChart(o.day, 'incoming', 'Incoming, last 24 hours')}
      </div>
      <h2>Delivery latency of outgoing commands</h2>
      <table class="latency">
        <thead>
          <tr>
            <th>Measure</th>
            <th>p50</th>
            <th>p90</th>
            <th>p99</th>
            <th>max</th>
            <th>messages</th>
          </tr>
        </thead>
        <tbody>
          ${latencyRow('created → peer received, last hour', o.hour.delivery)}
          ${latencyRow('created → peer received, last 24 hours', o.day.delivery)}
          ${latencyRow('sent → result applied, last hour', o.hour.result)}
          ${latencyRow('sent → result applied, last 24 hours', o.day.result)}
        </tbody>
      </table>
      <h2>Backlogs, last 24 hours</h2>
      <div class="charts">
        <div>
          <h3>Due retries not yet retried</h3>
          ${lines(
            {
              unit: 'at the end of each 15 min, rebuilt from rows still waiting',
              start: o.day.window.start,
              bucketSeconds: o.day.window.bucketSeconds,
              series: [{ label: 'due retries', color: '#f0b429', values: o.dueRetries }],
            },
            'Due retries over the last 24 hours',
          )}
        </div>
        <div>
          <h3>Open dead letters</h3>
          ${lines(
            {
              unit: 'at the end of each 15 min',
              start: o.day.window.start,
              bucketSeconds: o.day.window.bucketSeconds,
              series: [{ label: 'open dead letters', color: '#e12d39', values: o.openDeadLetters }],
            },
            'Open dead letters over the last 24 hours',
          )}
        </div>
      </div>
      <h2>Per peer, last 24 hours</h2>
      <table class="peers">
        <thead>
          <tr>
            <th>Peer</th>
            <th>Direction</th>
            <th>Messages</th>
            <th>Succeeded</th>
            <th>Failed</th>
            <th>Due retries now</th>
            <th>Open dead letters</th>
            <th>Health</th>
          </tr>
        </thead>
        <tbody>
          ${trafficRows.map(({ direction, peer, traffic }) => {
            const passive = health.get(`${direction} ${peer}`);
            return html`<tr>
              <td>${peerLink(peer, peer)}</td>
              <td>${direction}</td>
              <td>${traffic?.total ?? 0}</td>
              <td>
                ${traffic && traffic.total > 0 ? `${((traffic.succeeded / traffic.total) * 100).toFixed(1)}%` : '—'}
              </td>
              <td>${traffic?.failed ?? 0}</td>
              <td>${passive?.retryBacklog ?? 0}</td>
              <td>${passive?.deadLetters ?? 0}</td>
              <td>${status(passive?.state)}</td>
            </tr>`;
          })}
        </tbody>
      </table>`,
  );
}
