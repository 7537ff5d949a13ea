import type { LoggerService } from '@nestjs/common';
import type { CliStreams } from './cli.output.js';

/**
 * The host app's warnings and errors during a CLI run go to stderr: stdout carries only the
 * command's own output, so `--json` stays parseable whatever the app logs while it boots or closes.
 */
export class CliLogger implements LoggerService {
  constructor(private readonly streams: CliStreams) {}

  log(): void {}

  warn(message: unknown, context?: unknown): void {
    this.write('warn', message, context);
  }

  error(message: unknown, ...rest: unknown[]): void {
    this.write('error', message, rest.at(-1));
  }

  private write(level: string, message: unknown, context: unknown): void {
    const where = typeof context === 'string' ? ` [${context}]` : '';
    this.streams.stderr.write(`${level}${where} ${String(message)}\n`);
  }
}
