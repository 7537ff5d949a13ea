import { html, type SafeHtml } from './html.util.js';
import type { TimelineLane, TimelineTone } from './timeline.util.js';

const TONES: Record<TimelineTone, string> = { ok: '#3ebd93', failed: '#e12d39', info: '#627d98' };
const WIDTH = 1000;
const LABEL = 230;
const RIGHT = 120;
const LANE = 30;
const AXIS = 28;

/** "+1.2 s" style offsets from the first point. */
export function offset(ms: number): string {
  if (ms < 1000) return `+${ms} ms`;
  if (ms < 120_000) return `+${(ms / 1000).toFixed(1)} s`;
  if (ms < 7_200_000) return `+${(ms / 60_000).toFixed(1)} min`;
  return `+${(ms / 3_600_000).toFixed(1)} h`;
}

/**
 * Lanes on one time axis, each point a numbered dot; the numbered list below says what happened,
 * so the picture needs no script and no hover to be read.
 */
export function timeline(base: string, lanes: TimelineLane[]): SafeHtml {
  const points = lanes
    .flatMap((lane, laneIndex) => lane.points.map((p) => ({ ...p, laneIndex, lane: lane.label })))
    .sort((a, b) => a.at.getTime() - b.at.getTime());
  if (points.length === 0) return html`<p class="empty">Nothing recorded yet.</p>`;
  const first = points[0].at.getTime();
  const span = Math.max(1, points[points.length - 1].at.getTime() - first);
  const height = lanes.length * LANE + AXIS;
  const x = (at: Date) => LABEL + ((at.getTime() - first) / span) * (WIDTH - LABEL - RIGHT);
  // Points closer than a dot's width on one lane are set side by side; the list keeps exact times.
  const lastX = new Map<number, number>();
  const numbered = points.map((p, index) => {
    const cx = Math.max(x(p.at), (lastX.get(p.laneIndex) ?? -Infinity) + 17);
    lastX.set(p.laneIndex, cx);
    return { ...p, n: index + 1, cx };
  });
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((share) => ({
    x: LABEL + share * (WIDTH - LABEL - RIGHT),
    text: offset(Math.round(share * span)),
  }));
  return html`<figure class="timeline">
    <svg
      viewBox="0 0 ${WIDTH} ${height}"
      width="${WIDTH}"
      height="${height}"
      role="img"
      aria-label="Timeline"
    >
      ${lanes.map((lane, i) => {
        const y = i * LANE + LANE / 2;
        const text = html`<text x="8" y="${y + 4}" font-size="12" fill="#243b53">${lane.label}</text>`;
        return html`<line x1="${LABEL}" x2="${WIDTH - 10}" y1="${y}" y2="${y}" stroke="#e4e7eb" />
          ${lane.href ? html`<a href="${base}${lane.href}">${text}</a>` : text}`;
      })}
      ${ticks.map(
        (tick, index) =>
          html`<line x1="${tick.x}" x2="${tick.x}" y1="0" y2="${height - AXIS}" stroke="#f0f4f8" />
            <text
              x="${tick.x}"
              y="${height - 8}"
              font-size="11"
              fill="#52606d"
              text-anchor="${index === 0 ? 'start' : index === ticks.length - 1 ? 'end' : 'middle'}"
              >${tick.text}</text
            >`,
      )}
      ${numbered.map((p) => {
        const y = p.laneIndex * LANE + LANE / 2;
        return html`<g class="point">
          <title>${p.n}. ${p.what} (${offset(p.at.getTime() - first)})</title>
          <circle cx="${p.cx}" cy="${y}" r="8" fill="${TONES[p.tone]}" />
          <text x="${p.cx}" y="${y + 4}" font-size="10" fill="#fff" text-anchor="middle">${p.n}</text>
        </g>`;
      })}
    </svg>
    <ol class="timeline">
      ${numbered.map(
        (p) =>
          html`<li>
            <span class="muted"
              >${p.at.toISOString().replace('T', ' ').slice(0, 23)} (${offset(p.at.getTime() - first)})</span
            >
            <i style="background:${TONES[p.tone]}"></i>${p.lane}: ${p.what}
          </li>`,
      )}
    </ol>
  </figure>`;
}
