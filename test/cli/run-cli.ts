import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export interface CliBuild {
  /** Compiled `lib/cli/main.js`, what the `talkto` bin runs. */
  main: string;
  /** Compiled app module fixture, for `--module`. */
  fixtureModule: string;
  remove(): Promise<void>;
}

function run(
  file: string,
  args: string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv },
): Promise<CliRun> {
  return new Promise((done) => {
    execFile(file, args, { ...options, timeout: 120_000, maxBuffer: 10_000_000 }, (error, stdout, stderr) => {
      done({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
    });
  });
}

/**
 * Compiles lib/ and the fixture module to plain JavaScript once, like `npm run build` does, so each
 * CLI run is a plain `node dist/cli/main.js` process. Type errors elsewhere in the tree do not stop
 * the emit; a missing main.js does.
 */
export async function buildCli(): Promise<CliBuild> {
  const out = join(tmpdir(), `talkto-cli-build-${process.pid}-${Date.now()}`);
  await mkdir(out, { recursive: true });
  const tsconfig = join(out, 'tsconfig.json');
  await writeFile(
    tsconfig,
    JSON.stringify({
      extends: join(REPO_ROOT, 'tsconfig.json'),
      compilerOptions: {
        rootDir: REPO_ROOT,
        outDir: join(out, 'dist'),
        sourceMap: false,
        declaration: false,
      },
      include: [join(REPO_ROOT, 'lib'), join(REPO_ROOT, 'test/cli/fixtures')],
    }),
  );
  const compiled = await run(
    process.execPath,
    [join(REPO_ROOT, 'node_modules/typescript/bin/tsc'), '-p', tsconfig],
    {
      cwd: REPO_ROOT,
    },
  );
  const main = join(out, 'dist/lib/cli/main.js');
  if (!existsSync(main)) {
    throw new Error(`CLI build failed:\n${compiled.stdout}${compiled.stderr}`);
  }
  await writeFile(join(out, 'package.json'), '{"type":"module"}');
  await symlink(join(REPO_ROOT, 'node_modules'), join(out, 'node_modules'), 'dir');
  return {
    main,
    fixtureModule: join(out, 'dist/test/cli/fixtures/cli-app.module.js'),
    remove: () => rm(out, { recursive: true, force: true }),
  };
}

/** Runs the compiled `talkto` entry point in a child process, stdout and stderr piped (not a terminal). */
export function runCli(build: CliBuild, args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  return run(process.execPath, [build.main, ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, NO_COLOR: '', ...env },
  });
}
