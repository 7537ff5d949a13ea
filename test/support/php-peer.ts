import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { freePort } from './free-port.js';
import { waitFor } from './wait-for.js';

const run = promisify(execFile);

/** The live Laravel Talkto peer of ../shared/php-peer (read-only: everything it writes goes to a temp dir). */
export const PHP_PEER_HARNESS = fileURLToPath(new URL('../../../shared/php-peer/harness/', import.meta.url));

export interface PhpPeerOptions {
  /** The Nest app's base URL (its receive and callback routes). */
  nestUrl: string;
  /** `sync`: the PHP handler and its callback run inside the receive request; `database`: in worker.php. */
  queue: 'sync' | 'database';
  /** What the PHP receiver accepts (comma list). */
  acceptVersions: string;
  service?: string;
  nestService?: string;
}

/** One row as `inspect.php message` prints it. */
export interface PhpMessageView {
  row: Record<string, unknown> | null;
  runs: Array<{ message_id: string; command: string; payload_json: string }>;
  events?: string[];
  payload_hash_recomputed?: string | null;
}

/**
 * `php -S` serving the package's two routes (and worker.php for the database queue), each in its
 * own process group so `stop()` ends the server's forked workers too.
 */
export class PhpPeer {
  private constructor(
    readonly url: string,
    private readonly env: NodeJS.ProcessEnv,
    private readonly dir: string,
    private readonly processes: ChildProcess[],
  ) {}

  static async start(options: PhpPeerOptions): Promise<PhpPeer> {
    const dir = await mkdtemp(join(tmpdir(), 'talkto-php-peer-'));
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      PEER_DB: join(dir, 'peer.sqlite'),
      PEER_SERVICE: options.service ?? 'phpsvc',
      PEER_NEST_SERVICE: options.nestService ?? 'nestsvc',
      PEER_NEST_URL: options.nestUrl,
      PEER_ACCEPT_VERSIONS: options.acceptVersions,
      PEER_QUEUE: options.queue,
      PEER_WORKER_SECONDS: '600',
    };
    await writeFile(env.PEER_DB!, '');
    await run('php', ['inspect.php', 'init'], { cwd: PHP_PEER_HARNESS, env });
    const port = await freePort();
    const processes = [
      startGroup(
        ['-S', `127.0.0.1:${port}`, 'router.php'],
        { ...env, PHP_CLI_SERVER_WORKERS: '2' },
        dir,
        'server',
      ),
    ];
    if (options.queue === 'database') processes.push(startGroup(['worker.php'], env, dir, 'worker'));
    const peer = new PhpPeer(`http://127.0.0.1:${port}`, env, dir, processes);
    await waitFor(async () => (await fetch(`${peer.url}/health`)).ok, 'the PHP peer to answer', 20_000).catch(
      (error: Error) => {
        throw new Error(`${error.message}\n${peer.log('server')}`);
      },
    );
    return peer;
  }

  /** Sends through the package's real outgoing path (send.php); `env` overrides the peer's settings. */
  async send(
    command: string,
    payloadJson: string,
    options: { sig?: 'v1' | 'v2'; env?: NodeJS.ProcessEnv } = {},
  ): Promise<{ message_id: string; row: Record<string, unknown> }> {
    const args = ['send.php', command, payloadJson, ...(options.sig ? [`--sig=${options.sig}`] : [])];
    return this.php(args, options.env);
  }

  inspect(messageId: string): Promise<PhpMessageView> {
    return this.php(['inspect.php', 'message', messageId]);
  }

  count(): Promise<{ messages: number; runs: number; nonces: number }> {
    return this.php(['inspect.php', 'count']);
  }

  /** The package's canonical JSON and payload hash of a payload JSON text. */
  async canon(payloadJson: string): Promise<{ canonical: string; hash: string }> {
    const file = join(this.dir, `payload-${Date.now()}-${Math.random()}.json`);
    await writeFile(file, payloadJson);
    return this.php(['inspect.php', 'canon', file]);
  }

  log(name: 'server' | 'worker'): string {
    try {
      return readFileSync(join(this.dir, `${name}.log`), 'utf8').slice(-4000);
    } catch {
      return '';
    }
  }

  async stop(): Promise<void> {
    await Promise.all(this.processes.map(stopGroup));
    await rm(this.dir, { recursive: true, force: true });
  }

  private async php<T>(args: string[], env: NodeJS.ProcessEnv = {}): Promise<T> {
    const { stdout } = await run('php', args, { cwd: PHP_PEER_HARNESS, env: { ...this.env, ...env } });
    return JSON.parse(stdout) as T;
  }
}

function startGroup(args: string[], env: NodeJS.ProcessEnv, dir: string, name: string): ChildProcess {
  const log = openSync(join(dir, `${name}.log`), 'a');
  const child = spawn('php', args, {
    cwd: PHP_PEER_HARNESS,
    env,
    detached: true,
    stdio: ['ignore', log, log],
  });
  closeSync(log);
  return child;
}

async function stopGroup(child: ChildProcess): Promise<void> {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    process.kill(-child.pid, 'SIGTERM');
  } catch {
    return;
  }
  await exited;
}
