import type { DynamicModule, INestApplicationContext, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { parseArgs } from 'node:util';
import { TalktoError } from '../protocol/errors/talkto.error.js';
import type { CliCommand } from './cli-command.interface.js';
import { CliExitCode } from './cli.constants.js';
import { CliOutput, type CliStreams } from './cli.output.js';
import { TALKTO_CLI_COMMANDS } from './cli.commands.js';
import { CliLogger } from './cli-logger.js';

export interface RunTalktoCliOptions {
  /** Where output goes (default the process's stdout and stderr). */
  streams?: CliStreams;
  /** Base of relative paths, e.g. generator targets (default `process.cwd()`). */
  cwd?: string;
}

function help(output: CliOutput, commands: readonly CliCommand[]): void {
  output.line('Usage: talkto <command> [options]   (add --module <path> to load your app module)');
  output.line();
  output.table(
    ['command', 'options', 'what it does'],
    commands.map((command) => [command.name, command.usage, command.summary]),
  );
  output.line();
  output.line(
    'Every command accepts --json. Exit codes: 0 ok, 1 usage error or failure, 2 audit threshold hit.',
  );
}

/**
 * Runs one `talkto` command inside a host application: creates a Nest application context from
 * `rootModule` (no HTTP server), runs the command, closes the context and returns the exit code.
 * Generators (`make:*`) never create the context. Never calls `process.exit`.
 */
export async function runTalktoCli(
  rootModule: Type<unknown> | DynamicModule | null,
  argv: readonly string[],
  options: RunTalktoCliOptions = {},
): Promise<number> {
  const streams = options.streams ?? { stdout: process.stdout, stderr: process.stderr };
  const output = new CliOutput(streams);
  const [name, ...rest] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    help(output, TALKTO_CLI_COMMANDS);
    return name === undefined ? CliExitCode.failure : CliExitCode.ok;
  }
  const command = TALKTO_CLI_COMMANDS.find((candidate) => candidate.name === name);
  if (!command) {
    output.error(`Unknown command "${name}". Run \`talkto help\` for the list.`);
    return CliExitCode.failure;
  }

  let args;
  try {
    const parsed = parseArgs({
      args: [...rest],
      options: command.options,
      allowPositionals: true,
      strict: true,
    });
    args = {
      positionals: parsed.positionals,
      values: parsed.values as Record<string, string | boolean | undefined>,
    };
  } catch (error) {
    output.error(`${(error as Error).message}\nUsage: talkto ${command.name} ${command.usage}`);
    return CliExitCode.failure;
  }

  let app: INestApplicationContext | null = null;
  try {
    if (command.needsApp) {
      if (rootModule === null) {
        output.error(
          `"${command.name}" needs your application module: pass --module <path-to-app.module.js>.`,
        );
        return CliExitCode.failure;
      }
      app = await NestFactory.createApplicationContext(rootModule, { logger: new CliLogger(streams) });
    }
    return await command.run({ app, output, cwd: options.cwd ?? process.cwd() }, args);
  } catch (error) {
    output.progressDone();
    // Our own errors carry safe messages; anything else is reported by class only, never by text.
    output.error(error instanceof TalktoError ? error.message : `${command.name} failed: ${describe(error)}`);
    return CliExitCode.failure;
  } finally {
    await app?.close();
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
