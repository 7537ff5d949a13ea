import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase, type TestDatabase } from '../support/databases.js';
import { freePort } from '../support/free-port.js';
import { waitFor } from '../support/wait-for.js';
import {
  copyStarter,
  outputOf,
  packLibrary,
  type RunningInstance,
  runCommand,
  startInstance,
} from './consumer-app.js';

/**
 * The packed library installed into the two official starters (test/consumers/README.md), each used
 * the way its own team would: its build, its test runner, its module format, two instances talking.
 */
const STARTERS = [
  {
    starter: 'nest11-commonjs',
    commonjs: true,
    packages: ['@nestjs/typeorm@^11', '@nestjs/config@^4'],
  },
  {
    starter: 'nest12-esm',
    commonjs: false,
    packages: ['@nestjs/typeorm@^12', '@nestjs/config@^12'],
  },
];
const HOST_PACKAGES = ['typeorm', 'pg', 'class-validator', 'class-transformer'];
const ENTRY = 'dist/talkto-main.js';
const HOST_MODULE = 'dist/talkto-demo/talkto-demo.module.js';

let work: string;
/** Each starter's copy, installed; both installs run at once (they mostly wait on the disk and the cache). */
const installs = new Map<string, Promise<string>>();

async function install(starter: (typeof STARTERS)[number], tarball: string): Promise<string> {
  const app = join(work, starter.starter);
  await copyStarter(starter.starter, app, starter.commonjs);
  const installed = await runCommand(
    'npm',
    [
      'install',
      '--prefer-offline',
      '--no-audit',
      '--no-fund',
      tarball,
      ...starter.packages,
      ...HOST_PACKAGES,
    ],
    { cwd: app },
  );
  outputOf(installed, `npm install in ${starter.starter}`);
  return app;
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'talkto-consumers-'));
  const tarball = await packLibrary(work);
  for (const starter of STARTERS) {
    const installing = install(starter, tarball);
    installing.catch(() => undefined); // reported by the starter's own beforeAll
    installs.set(starter.starter, installing);
  }
}, 1_200_000);

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

function databaseUrl(database: TestDatabase): string {
  return `postgres://postgres@127.0.0.1:5432/${String(database.options.database)}`;
}

function instanceEnv(
  service: string,
  peer: string,
  peerUrl: string,
  database: TestDatabase,
): NodeJS.ProcessEnv {
  return {
    TZ: 'UTC',
    DATABASE_URL: databaseUrl(database),
    TALKTO_SERVICE: service,
    TALKTO_PEER: peer,
    TALKTO_PEER_URL: peerUrl,
    TALKTO_SECRET_TO_PEER: `secret-${service}-to-${peer}`,
    TALKTO_SECRET_FROM_PEER: `secret-${peer}-to-${service}`,
  };
}

describe.each(STARTERS)('the $starter starter with the packed library', ({ starter }) => {
  let app: string;
  const databases: TestDatabase[] = [];
  const instances: RunningInstance[] = [];

  async function database(): Promise<TestDatabase> {
    const created = await createTestDatabase('postgres');
    databases.push(created);
    return created;
  }

  beforeAll(async () => {
    app = await (installs.get(starter) as Promise<string>);
  }, 1_200_000);

  afterAll(async () => {
    await Promise.all(instances.map((instance) => instance.stop()));
    await Promise.all(databases.map((created) => created.drop()));
  });

  it('loads from require and import, without the optional bull', async () => {
    const required = await runCommand(
      process.execPath,
      [
        '-e',
        "const t = require('nestjs-talkto'); console.log(typeof t.TalktoModule, require('nestjs-talkto/package.json').name)",
      ],
      { cwd: app },
    );
    expect(required).toEqual({ code: 0, output: 'function nestjs-talkto\n' });
    const imported = await runCommand(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        "const t = await import('nestjs-talkto'); console.log(typeof t.TalktoModule)",
      ],
      { cwd: app },
    );
    expect(imported).toEqual({ code: 0, output: 'function\n' });
    expect(existsSync(join(app, 'node_modules/bull'))).toBe(false);
  });

  it('generates an incoming handler with talkto make:incoming and builds', async () => {
    const generated = await runCommand(
      join(app, 'node_modules/.bin/talkto'),
      ['make:incoming', 'peer', 'demo.ping'],
      { cwd: app },
    );
    expect(outputOf(generated, 'talkto make:incoming')).toContain(
      'src/talkto/incoming/peer/ping.handler.spec.ts',
    );

    outputOf(await runCommand('npm', ['run', 'build'], { cwd: app }), 'npm run build');
    expect(existsSync(join(app, ENTRY))).toBe(true);
  }, 900_000);

  it("passes the starter's own test runner on the TalktoTestingModule spec and the generated spec", async () => {
    const env = instanceEnv('alpha', 'beta', 'http://127.0.0.1:9', await database());
    const tested = outputOf(
      await runCommand('npm', ['test'], { cwd: app, env: { ...env, CI: 'true' } }),
      'npm test',
    );
    expect(tested).toContain('talkto-demo.spec.ts');
    expect(tested).toContain('ping.handler.spec.ts');
    expect(tested).toContain('app.controller.spec.ts');
  }, 900_000);

  describe('two instances with a global prefix, a host @Catch() filter and forRootAsync', () => {
    let alpha: RunningInstance;
    let beta: RunningInstance;
    let alphaEnv: NodeJS.ProcessEnv;

    beforeAll(async () => {
      const [alphaPort, betaPort] = [await freePort(), await freePort()];
      alphaEnv = instanceEnv('alpha', 'beta', `http://127.0.0.1:${betaPort}`, await database());
      const betaEnv = instanceEnv('beta', 'alpha', `http://127.0.0.1:${alphaPort}`, await database());
      [alpha, beta] = await Promise.all([
        startInstance(app, ENTRY, alphaPort, alphaEnv, '/api/demo/results'),
        startInstance(app, ENTRY, betaPort, betaEnv, '/api/demo/results'),
      ]);
      instances.push(alpha, beta);
    }, 400_000);

    it('completes a round trip with a result callback over HTTP', async () => {
      const sent = await fetch(`${alpha.url}/api/demo/ping/order-1`, { method: 'POST' });
      expect({ status: sent.status, alpha: sent.status === 201 ? '' : alpha.output() }).toEqual({
        status: 201,
        alpha: '',
      });
      const { messageId } = (await sent.json()) as { messageId: string };

      const result = await waitFor(
        async () => {
          const received = (await (await fetch(`${alpha.url}/api/demo/results`)).json()) as Array<{
            originalMessageId: string;
            status: string;
            result: unknown;
          }>;
          return received.find((entry) => entry.originalMessageId === messageId);
        },
        `the result callback of ${messageId}`,
        90_000,
      ).catch((error: Error) => {
        throw new Error(`${error.message}\n--- alpha ---\n${alpha.output()}\n--- beta ---\n${beta.output()}`);
      });
      expect(result).toMatchObject({ status: 'succeeded', result: { sourceId: 'order-1' } });
    }, 120_000);

    it("keeps the host filter's format for the host's own 404", async () => {
      const response = await fetch(`${alpha.url}/api/no-such-route`);
      expect(response.status).toBe(404);
      expect(await response.json()).toMatchObject({ hostError: true, status: 404 });
    });

    it('answers a malformed body on the receive route with 422 invalid_json', async () => {
      const response = await fetch(`${beta.url}/api/talkto/receive`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"message_id":',
      });
      expect(response.status).toBe(422);
      expect(await response.json()).toEqual({ received: false, status: 'rejected', error: 'invalid_json' });
    });

    it('runs talkto report through the CLI against the host module', async () => {
      const report = await runCommand(
        join(app, 'node_modules/.bin/talkto'),
        ['report', '--json', '--module', HOST_MODULE],
        { cwd: app, env: alphaEnv },
      );
      expect(JSON.parse(outputOf(report, 'talkto report'))).toMatchObject({
        commandCounts: expect.arrayContaining([
          expect.objectContaining({ name: 'demo.ping', direction: 'outgoing' }),
        ]),
      });
    }, 120_000);
  });
});
