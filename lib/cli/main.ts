#!/usr/bin/env node
import 'reflect-metadata';
import type { DynamicModule, Type } from '@nestjs/common';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { runTalktoCli } from './run-talkto-cli.js';

/** Nest stores module metadata under these keys; any of them marks a class as a module. */
const MODULE_KEYS = ['imports', 'providers', 'controllers', 'exports'];

function isModuleClass(value: unknown): value is Type<unknown> {
  return typeof value === 'function' && MODULE_KEYS.some((key) => Reflect.hasMetadata(key, value));
}

/** `--module ./dist/app.module.js[#AppModule]`: the named export, else the default, else the only module class. */
async function loadModule(spec: string): Promise<Type<unknown> | DynamicModule> {
  const [path, exportName] = spec.split('#');
  const exports = (await import(pathToFileURL(resolve(process.cwd(), path)).href)) as Record<string, unknown>;
  const candidate = exportName ? exports[exportName] : (exports.default ?? undefined);
  if (isModuleClass(candidate)) {
    return candidate;
  }
  const modules = Object.values(exports).filter(isModuleClass);
  if (exportName === undefined && modules.length === 1) {
    return modules[0];
  }
  throw new Error(
    exportName
      ? `${path} has no Nest module exported as ${exportName}`
      : `${path} must export exactly one Nest module class (or use --module <path>#<ExportName>)`,
  );
}

/** Splits `--module <path>` / `--module=<path>` off the command's own arguments. */
function takeModuleArgument(argv: string[]): { module: string | undefined; rest: string[] } {
  const rest: string[] = [];
  let module: string | undefined = process.env.TALKTO_CLI_MODULE;
  for (let index = 0; index < argv.length; index += 1) {
    const argument = argv[index];
    if (argument === '--module') {
      module = argv[++index];
    } else if (argument.startsWith('--module=')) {
      module = argument.slice('--module='.length);
    } else {
      rest.push(argument);
    }
  }
  return { module, rest };
}

async function main(): Promise<void> {
  // A CLI run does its one job; the app's own instances run queues, the sweeper and timers.
  process.env.TALKTO_BACKGROUND_WORK ??= 'off';
  const { module, rest } = takeModuleArgument(process.argv.slice(2));
  let rootModule: Type<unknown> | DynamicModule | null = null;
  if (module !== undefined) {
    try {
      rootModule = await loadModule(module);
    } catch (error) {
      process.stderr.write(`Cannot load --module: ${(error as Error).message}\n`);
      process.exitCode = 1;
      return;
    }
  }
  process.exitCode = await runTalktoCli(rootModule, rest);
}

void main();
