import { html, type SafeHtml } from './html.util.js';

export interface ChartSeries {
  label: string;
  color: string;
  values: number[];
}

export interface ChartInput {
  /** What the y axis counts, e.g. "messages per minute". */
  unit: string;
  series: ChartSeries[];
  /** Start of the first bucket and the width of each. */
  start: Date;
  bucketSeconds: number;
}

const WIDTH = 600;
const HEIGHT = 190;
const LEFT = 44;
const RIGHT = 10;
const TOP = 10;
const BOTTOM = 26;

/** 1, 2 or 5 times a power of ten, at least `value`: axis ends a reader can take in at a glance. */
export function niceCeiling(value: number): number {
  if (value <= 0) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  return [1, 2, 5, 10].map((step) => step * power).find((candidate) => candidate >= value) ?? 10 * power;
}

const hhmm = (date: Date) => date.toISOString().slice(11, 16);

function number(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(value < 10 ? 1 : 0);
}

/** Axes, grid and time labels shared by both chart kinds. */
function frame(
  input: ChartInput,
  max: number,
  body: SafeHtml,
  label: string,
  keyValue: (s: ChartSeries) => string,
): SafeHtml {
  const plotWidth = WIDTH - LEFT - RIGHT;
  const plotHeight = HEIGHT - TOP - BOTTOM;
  const buckets = input.series[0]?.values.length ?? 0;
  const ticks = [0, max / 2, max];
  const times = [0, 0.25, 0.5, 0.75, 1].map((share) => ({
    x: LEFT + share * plotWidth,
    text: hhmm(new Date(input.start.getTime() + share * buckets * input.bucketSeconds * 1000)),
  }));
  return html`<figure class="chart">
    <svg
      viewBox="0 0 ${WIDTH} ${HEIGHT}"
      width="${WIDTH}"
      height="${HEIGHT}"
      role="img"
      aria-label="${label}"
    >
      ${ticks.map((tick) => {
        const y = TOP + plotHeight - (tick / max) * plotHeight;
        return html`<line x1="${LEFT}" x2="${WIDTH - RIGHT}" y1="${y}" y2="${y}" stroke="#e4e7eb" />
          <text x="${LEFT - 6}" y="${y + 4}" text-anchor="end" font-size="11" fill="#52606d"
            >${number(tick)}</text
          >`;
      })}
      ${body}
      <line
        x1="${LEFT}"
        x2="${WIDTH - RIGHT}"
        y1="${TOP + plotHeight}"
        y2="${TOP + plotHeight}"
        stroke="#9aa5b1"
      />
      ${times.map(
        (time, index) =>
          html`<text
            x="${time.x}"
            y="${HEIGHT - 8}"
            text-anchor="${index === 0 ? 'start' : index === times.length - 1 ? 'end' : 'middle'}"
            font-size="11"
            fill="#52606d"
            >${time.text}</text
          >`,
      )}
    </svg>
    <figcaption>
      ${input.series.map(
        (s) => html`<span class="key"><i style="background:${s.color}"></i>${s.label} ${keyValue(s)}</span>`,
      )}
      <span class="muted">${input.unit}; times in UTC</span>
    </figcaption>
  </figure>`;
}

const sum = (values: number[]) => values.reduce((total, value) => total + value, 0);

/**
 * Bars per bucket, the series stacked bottom to top, drawn as a rate per minute whatever the bucket
 * width; the key gives the counts and each bar's tooltip its own.
 */
export function stackedBars(input: ChartInput, label: string): SafeHtml {
  const minutes = input.bucketSeconds / 60;
  const buckets = input.series[0]?.values.length ?? 0;
  const totals = Array.from({ length: buckets }, (_, i) => sum(input.series.map((s) => s.values[i])));
  const max = niceCeiling(Math.max(0, ...totals) / minutes);
  const plotHeight = HEIGHT - TOP - BOTTOM;
  const slot = (WIDTH - LEFT - RIGHT) / Math.max(1, buckets);
  const bars = totals.map((total, i) => {
    if (total === 0) return '';
    let base = TOP + plotHeight;
    const at = new Date(input.start.getTime() + i * input.bucketSeconds * 1000);
    const tip = `${hhmm(at)}: ${input.series.map((s) => `${s.label} ${s.values[i]}`).join(', ')}`;
    return html`<g>
      <title>${tip}</title>
      ${input.series.map((s) => {
        const height = (s.values[i] / minutes / max) * plotHeight;
        base -= height;
        return height > 0
          ? html`<rect
              x="${LEFT + i * slot + slot * 0.1}"
              y="${base}"
              width="${slot * 0.8}"
              height="${height}"
              fill="${s.color}"
            />`
          : '';
      })}
    </g>`;
  });
  return frame(input, max, html`${bars}`, label, (s) => `(${sum(s.values)})`);
}

/** One line per series across the buckets. */
export function lines(input: ChartInput, label: string): SafeHtml {
  const buckets = input.series[0]?.values.length ?? 0;
  const max = niceCeiling(Math.max(0, ...input.series.flatMap((s) => s.values)));
  const plotHeight = HEIGHT - TOP - BOTTOM;
  const slot = (WIDTH - LEFT - RIGHT) / Math.max(1, buckets);
  const paths = input.series.map((s) => {
    const points = s.values
      .map(
        (value, i) =>
          `${(LEFT + (i + 1) * slot).toFixed(1)},${(TOP + plotHeight - (value / max) * plotHeight).toFixed(1)}`,
      )
      .join(' ');
    return html`<polyline points="${points}" fill="none" stroke="${s.color}" stroke-width="2"
      ><title>${s.label}, now ${number(s.values[buckets - 1] ?? 0)}</title></polyline
    >`;
  });
  return frame(input, max, html`${paths}`, label, (s) => `(now ${number(s.values.at(-1) ?? 0)})`);
}
