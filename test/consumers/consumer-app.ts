import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { cp, mkdir, readdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { REPO_ROOT } from '../cli/run-cli.js';
import { waitFor } from '../support/wait-for.js';

const CONSUMERS = join(REPO_ROOT, 'test/consumers');

export interface CommandRun {
  code: number;
  output: string;
}

/** Runs a command to its end; never rejects, the caller asserts on code and output. */
export function runCommand(
  command: string,
  args: string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number },
): Promise<CommandRun> {
  return new Promise((done) => {
    execFile(
      command,
      args,
      {
        cwd: options.cwd,
        env: { ...process.env, ...options.env },
        timeout: options.timeoutMs ?? 900_000,
        maxBuffer: 50_000_000,
      },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        done({ code, output: `${stdout}${stderr}` });
      },
    );
  });
}

/** The run's output when it exited 0; else an error carrying the whole output, for the test report. */
export function outputOf(run: CommandRun, what: string): string {
  if (run.code !== 0) {
    throw new Error(`${what} exited with ${run.code}:\n${run.output}`);
  }
  return run.output;
}

/**
 * `npm pack` of this repository as a user gets it: the package files are staged in `dir` and packed
 * there, so `prepack` builds into the stage and never touches the working tree's dist/.
 */
export async function packLibrary(dir: string): Promise<string> {
  const stage = join(dir, 'stage');
  await mkdir(stage, { recursive: true });
  for (const file of [
    'package.json',
    'README.md',
    'LICENSE',
    'tsconfig.json',
    'tsconfig.build.json',
    'tsconfig.build-cjs.json',
  ]) {
    await cp(join(REPO_ROOT, file), join(stage, file));
  }
  await cp(join(REPO_ROOT, 'lib'), join(stage, 'lib'), { recursive: true });
  await symlink(join(REPO_ROOT, 'node_modules'), join(stage, 'node_modules'), 'dir');
  const packed = await runCommand('npm', ['pack', '--pack-destination', dir], { cwd: stage });
  const tarball = (await readdir(dir)).find((name) => name.endsWith('.tgz'));
  if (packed.code !== 0 || tarball === undefined) {
    throw new Error(`npm pack failed:\n${packed.output}`);
  }
  return join(dir, tarball);
}

/**
 * A throwaway copy of a committed starter with our host additions laid over it. In a CommonJS
 * starter, relative imports lose their `.js` (ts-jest resolves them as written).
 */
export async function copyStarter(starter: string, into: string, commonjs: boolean): Promise<void> {
  await cp(join(CONSUMERS, 'apps', starter), into, { recursive: true });
  const additions = join(CONSUMERS, 'host-additions');
  const files = (await readdir(additions, { recursive: true, withFileTypes: true })).filter((entry) =>
    entry.isFile(),
  );
  for (const entry of files) {
    const from = join(entry.parentPath, entry.name);
    const to = join(into, from.slice(additions.length + 1));
    const source = await readFile(from, 'utf8');
    await mkdir(join(to, '..'), { recursive: true });
    await writeFile(to, commonjs ? source.replace(/(from '\.{1,2}\/[^']*)\.js'/g, "$1'") : source);
  }
}

export interface RunningInstance {
  url: string;
  output(): string;
  stop(): Promise<void>;
}

/** Starts `node <entry>` and resolves once `readyPath` answers 200. */
export async function startInstance(
  cwd: string,
  entry: string,
  port: number,
  env: NodeJS.ProcessEnv,
  readyPath: string,
): Promise<RunningInstance> {
  const child: ChildProcess = spawn(process.execPath, [entry], {
    cwd,
    env: { ...process.env, ...env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const instance: RunningInstance = {
    url,
    output: () => output,
    stop: async () => {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
    },
  };
  try {
    await waitFor(
      // An instance that died stops the wait at once, with its output.
      async () => child.exitCode !== null || (await fetch(`${url}${readyPath}`)).status === 200,
      `${entry} on port ${port}`,
      180_000,
    );
  } catch (error) {
    await instance.stop();
    throw new Error(`${(error as Error).message}\n${output}`);
  }
  if (child.exitCode !== null) {
    throw new Error(`${entry} exited with ${child.exitCode}:\n${output}`);
  }
  return instance;
}
