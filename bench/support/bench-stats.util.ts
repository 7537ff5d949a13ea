/** Small statistics and table helpers shared by the benches (no dependencies). */

export interface Spread {
  median: number;
  min: number;
  max: number;
}

export function spread(values: number[]): Spread {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  return { median, min: sorted[0], max: sorted[sorted.length - 1] };
}

/** `2.41× (2.30–2.60)`: a ratio's median and its range over the rounds. */
export function formatRatio(values: number[]): string {
  const { median, min, max } = spread(values);
  return `${median.toFixed(2)}× (${min.toFixed(2)}–${max.toFixed(2)})`;
}

/** Prints rows as a left-aligned text table under a header row. */
export function printTable(header: string[], rows: string[][]): void {
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => row[i].length)));
  const line = (cells: string[]) => cells.map((cell, i) => cell.padEnd(widths[i])).join('  ');
  console.log(line(header));
  console.log(widths.map((width) => '-'.repeat(width)).join('  '));
  for (const row of rows) {
    console.log(line(row));
  }
}
