#!/usr/bin/env node
// The `talkto` bin. ESM only (left out of the CommonJS build): it runs the library build that the
// host's own module loads, so the CLI and the host's AppModule share one copy of every class.
import 'reflect-metadata';
import type { DynamicModule, Type } from '@nestjs/common';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { moduleFormatOf } from './host-project.util.js';

type TalktoLibrary = typeof import('../index.js');

/** Nest stores module metadata under these keys; any of them marks a class as a module. */
const MODULE_KEYS = ['imports', 'providers', 'controllers', 'exports'];

const requireHere = createRequire(import.meta.url);

function isModuleClass(value: unknown): value is Type<unknown> {
  return typeof value === 'function' && MODULE_KEYS.some((key) => Reflect.hasMetadata(key, value));
}

/** `--module ./dist/app.module.js[#AppModule]`: the named export, else the default, else the only module class. */
function findModule(path: string, exportName: string | undefined, exports: Record<string, unknown>) {
  const candidate = exportName ? exports[exportName] : (exports.default ?? undefined);
  if (isModuleClass(candidate)) {
    return candidate;
  }
  const modules = [...new Set(Object.values(exports).filter(isModuleClass))];
  if (exportName === undefined && modules.length === 1) {
    return modules[0];
  }
  throw new Error(
    exportName
      ? `${path} has no Nest module exported as ${exportName}`
      : `${path} must export exactly one Nest module class (or use --module <path>#<ExportName>)`,
  );
}

/** A CommonJS host gets the CommonJS build and `require`; an ESM host the ESM build and `import()`. */
async function loadHost(
  spec: string | undefined,
): Promise<{ library: TalktoLibrary; rootModule: Type<unknown> | DynamicModule | null }> {
  const [path, exportName] = spec?.split('#') ?? [];
  const file = resolve(process.cwd(), path ?? 'package.json');
  if (moduleFormatOf(file) === 'commonjs') {
    const library = requireHere('../../cjs/index.js') as TalktoLibrary;
    const rootModule =
      path === undefined ? null : findModule(path, exportName, requireHere(file) as Record<string, unknown>);
    return { library, rootModule };
  }
  const library = await import('../index.js');
  const rootModule =
    path === undefined
      ? null
      : findModule(path, exportName, (await import(pathToFileURL(file).href)) as Record<string, unknown>);
  return { library, rootModule };
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
  let host;
  try {
    host = await loadHost(module);
  } catch (error) {
    process.stderr.write(`Cannot load --module: ${(error as Error).message}\n`);
    process.exitCode = 1;
    return;
  }
  process.exitCode = await host.library.runTalktoCli(host.rootModule, rest);
}

void main();
