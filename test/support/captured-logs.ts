import type { LoggerService } from '@nestjs/common';

export interface CapturedLine {
  level: 'log' | 'error' | 'warn' | 'debug' | 'verbose' | 'fatal';
  message: string;
}

/** A Nest logger that keeps every line, for tests that check what an operator would read. */
export class CapturedLogs implements LoggerService {
  readonly lines: CapturedLine[] = [];

  log(message: unknown): void {
    this.lines.push({ level: 'log', message: String(message) });
  }
  error(message: unknown): void {
    this.lines.push({ level: 'error', message: String(message) });
  }
  warn(message: unknown): void {
    this.lines.push({ level: 'warn', message: String(message) });
  }
  debug(message: unknown): void {
    this.lines.push({ level: 'debug', message: String(message) });
  }
  verbose(message: unknown): void {
    this.lines.push({ level: 'verbose', message: String(message) });
  }
  fatal(message: unknown): void {
    this.lines.push({ level: 'fatal', message: String(message) });
  }

  warnings(containing: string): string[] {
    return this.lines
      .filter((line) => line.level === 'warn' && line.message.includes(containing))
      .map((line) => line.message);
  }
}
