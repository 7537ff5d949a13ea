import type { INestApplicationContext } from '@nestjs/common';
import type { ParseArgsConfig } from 'node:util';
import type { CliOutput } from './cli.output.js';

export type CliOptionSpec = NonNullable<ParseArgsConfig['options']>;

export interface CliArguments {
  positionals: string[];
  values: Record<string, string | boolean | undefined>;
}

export interface CliContext {
  output: CliOutput;
  /** The host application context; only for commands with `needsApp`. */
  app: INestApplicationContext | null;
  /** Directory relative paths are resolved against. */
  cwd: string;
}

/** One `talkto <name>` command. */
export interface CliCommand {
  name: string;
  /** One line for `talkto help`. */
  summary: string;
  /** Argument synopsis, e.g. `<message-id> [--correlation=<id>] [--limit=100]`. */
  usage: string;
  options: CliOptionSpec;
  /** Needs the host's Nest application context (database, options); generators do not. */
  needsApp: boolean;
  /** Returns the process exit code. Usage errors are thrown as `TalktoUsageError`. */
  run(context: CliContext, args: CliArguments): Promise<number>;
}
