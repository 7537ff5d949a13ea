export interface CliStreams {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
}

const COLOURS = { red: 31, green: 32, yellow: 33, cyan: 36, dim: 2, bold: 1 } as const;
export type CliColour = keyof typeof COLOURS;

// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*m/g;

function visibleLength(text: string): number {
  return text.replace(ANSI, '').length;
}

function cell(value: unknown): string {
  if (value === null || value === undefined) {
    return '';
  }
  if (value instanceof Date) {
    return value.toISOString();
  }
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

/**
 * Everything a command prints goes through here: plain lines and tables on stdout, colour only when
 * stdout is a terminal (and NO_COLOR is unset), progress lines on stderr only when it is a terminal.
 */
export class CliOutput {
  private readonly colour: boolean;
  private readonly progressShown: boolean;

  constructor(private readonly streams: CliStreams) {
    this.colour = streams.stdout.isTTY === true && !process.env.NO_COLOR;
    this.progressShown = streams.stderr.isTTY === true;
  }

  line(text = ''): void {
    this.streams.stdout.write(`${text}\n`);
  }

  error(text: string): void {
    this.streams.stderr.write(`${this.paint('red', text)}\n`);
  }

  json(value: unknown): void {
    this.line(JSON.stringify(value, null, 2));
  }

  paint(colour: CliColour, text: string): string {
    return this.colour ? `\u001b[${COLOURS[colour]}m${text}\u001b[0m` : text;
  }

  /** A one-line status on a terminal, overwritten by the next one; silent when piped. */
  progress(text: string): void {
    if (this.progressShown) {
      this.streams.stderr.write(`\r\u001b[2K${text}`);
    }
  }

  progressDone(): void {
    if (this.progressShown) {
      this.streams.stderr.write('\r\u001b[2K');
    }
  }

  /** Aligned columns; an empty table prints `emptyText` instead. */
  table(headers: string[], rows: unknown[][], emptyText = '(none)'): void {
    if (rows.length === 0) {
      this.line(`  ${emptyText}`);
      return;
    }
    const text = rows.map((row) => row.map(cell));
    const widths = headers.map((header, index) =>
      Math.max(header.length, ...text.map((row) => visibleLength(row[index] ?? ''))),
    );
    const format = (row: string[]) =>
      row
        .map((value, index) => value + ' '.repeat(Math.max(0, widths[index] - visibleLength(value))))
        .join('  ')
        .trimEnd();
    this.line(this.paint('bold', format(headers)));
    this.line(widths.map((width) => '-'.repeat(width)).join('  '));
    for (const row of text) {
      this.line(format(row));
    }
  }
}
