import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { runTalktoCli } from '../../lib/cli/run-talkto-cli.js';
import { REPO_ROOT } from './run-cli.js';

/** Runs a generator through the real CLI runner with captured output (generators need no app). */
async function generate(
  cwd: string,
  ...argv: string[]
): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const chunks = { stdout: '', stderr: '' };
  stdout.on('data', (chunk: Buffer) => (chunks.stdout += chunk.toString()));
  stderr.on('data', (chunk: Buffer) => (chunks.stderr += chunk.toString()));
  const code = await runTalktoCli(null, argv, { streams: { stdout, stderr }, cwd });
  return { code, ...chunks };
}

async function listFiles(dir: string): Promise<string[]> {
  if (!existsSync(dir)) {
    return [];
  }
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name).slice(dir.length + 1))
    .sort();
}

function exec(args: string[], cwd: string): Promise<{ code: number; output: string }> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      args,
      { cwd, timeout: 240_000, maxBuffer: 10_000_000 },
      (error, stdout, stderr) => {
        done({
          code: error ? (typeof error.code === 'number' ? error.code : 1) : 0,
          output: stdout + stderr,
        });
      },
    );
  });
}

describe('talkto make:* generators', () => {
  let project: string;

  beforeAll(async () => {
    // A throwaway host project: node_modules and `nestjs-talkto` resolve to this repository.
    project = await mkdtemp(join(tmpdir(), 'talkto-generated-'));
    await symlink(join(REPO_ROOT, 'node_modules'), join(project, 'node_modules'), 'dir');
    await writeFile(join(project, 'package.json'), '{"type":"module"}');
  });

  afterAll(async () => {
    await rm(project, { recursive: true, force: true });
  });

  it('writes nothing on a dry run and prints what it would create', async () => {
    const run = await generate(project, 'make:outgoing', 'inventory-service', 'verifyInvoice', '--dry-run');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Dry run: nothing was written.');
    expect(run.stdout).toContain('would be created');
    expect(run.stdout).toContain('src/talkto/outgoing/inventory/inventory-verify-invoice.sender.ts');
    expect(await listFiles(join(project, 'src'))).toEqual([]);
  });

  it('generates outgoing and incoming files and prints the configuration to add', async () => {
    const outgoing = await generate(
      project,
      'make:outgoing',
      'inventory-service',
      'verifyInvoice',
      '--transactional',
    );
    expect(outgoing.code).toBe(0);
    expect(outgoing.stdout).toContain("'inventory-service': {");
    expect(outgoing.stdout).toContain('TALKTO_TO_INVENTORY_SECRET');
    const incoming = await generate(
      project,
      'make:integration',
      'billing',
      'shop.orders.ship-order',
      '--incoming',
      '--json',
    );
    expect(incoming.code).toBe(0);
    expect(JSON.parse(incoming.stdout).snippet).toContain(
      "'shop.orders.ship-order': { idempotency: 'required' }",
    );
    expect(await listFiles(join(project, 'src/talkto'))).toEqual([
      'incoming/billing/ship-order.handler.spec.ts',
      'incoming/billing/ship-order.handler.ts',
      'incoming/billing/ship-order.payload.ts',
      'outgoing/inventory/inventory-verify-invoice.sender.spec.ts',
      'outgoing/inventory/inventory-verify-invoice.sender.ts',
      'outgoing/inventory/verify-invoice.payload.ts',
    ]);
    const sender = await readFile(
      join(project, 'src/talkto/outgoing/inventory/inventory-verify-invoice.sender.ts'),
      'utf8',
    );
    expect(sender).toContain("static readonly command = 'inventory.verify-invoice';");
    expect(sender).toContain('sendInTransaction(');
  });

  it('never overwrites an existing file without --force', async () => {
    const handler = join(project, 'src/talkto/incoming/billing/ship-order.handler.ts');
    const original = await readFile(handler, 'utf8');
    await writeFile(handler, '// edited by the host\n' + original);
    const kept = await generate(project, 'make:incoming', 'billing', 'shop.orders.ship-order');
    expect(kept.stdout).toContain('3 existing file(s) kept; pass --force to overwrite.');
    expect(await readFile(handler, 'utf8')).toContain('edited by the host');
    const forced = await generate(project, 'make:incoming', 'billing', 'shop.orders.ship-order', '--force');
    expect(forced.stdout).toContain('overwritten');
    expect(await readFile(handler, 'utf8')).toBe(original);
  });

  it.each([
    {
      host: 'a CommonJS jest host',
      packageJson: { devDependencies: { jest: '^30.0.0', '@types/jest': '^30.0.0' } },
      testApi: null,
      handlerImport: "from './ship-order.handler';",
    },
    {
      host: 'an ESM vitest host',
      packageJson: { type: 'module', devDependencies: { vitest: '^4.1.2' } },
      testApi: "import { describe, expect, it } from 'vitest';",
      handlerImport: "from './ship-order.handler.js';",
    },
  ])('writes specs and imports that fit $host', async ({ packageJson, testApi, handlerImport }) => {
    const host = await mkdtemp(join(tmpdir(), 'talkto-generated-host-'));
    try {
      await writeFile(join(host, 'package.json'), JSON.stringify(packageJson));
      expect((await generate(host, 'make:incoming', 'billing', 'shop.orders.ship-order')).code).toBe(0);
      const spec = await readFile(
        join(host, 'src/talkto/incoming/billing/ship-order.handler.spec.ts'),
        'utf8',
      );
      expect(spec).toContain(handlerImport);
      expect(spec).not.toContain('@jest/globals');
      expect(spec.split('\n')[0]).toBe(testApi ?? "import type { IncomingMessage } from 'nestjs-talkto';");
    } finally {
      await rm(host, { recursive: true, force: true });
    }
  });

  it('refuses invalid names and direction flags with exit code 1', async () => {
    for (const argv of [
      ['make:outgoing', 'bad service', 'x'],
      ['make:outgoing', 'inventory', 'has.dots'],
      ['make:incoming', 'billing', 'shop..ship'],
      ['make:integration', 'billing', 'ship', '--incoming', '--outgoing'],
      ['make:integration', 'billing', 'ship', '--incoming', '--transactional'],
    ]) {
      const run = await generate(project, ...argv);
      expect({ argv, code: run.code }).toEqual({ argv, code: 1 });
    }
  });

  it('generated code type-checks against this library', async () => {
    await writeFile(
      join(project, 'tsconfig.json'),
      JSON.stringify({
        extends: join(REPO_ROOT, 'tsconfig.json'),
        compilerOptions: {
          rootDir: '/',
          noEmit: true,
          paths: { 'nestjs-talkto': [join(REPO_ROOT, 'lib/index.ts')] },
        },
        include: ['src'],
      }),
    );
    const result = await exec(
      [join(REPO_ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'],
      project,
    );
    // The library is compiled along with the generated files; only errors in generated files count here.
    const ours = result.output.split('\n').filter((line) => line.startsWith('src/'));
    expect(ours).toEqual([]);
  }, 240_000);

  it('generated specs pass under jest', async () => {
    await writeFile(
      join(project, 'jest.config.json'),
      JSON.stringify({
        rootDir: project,
        testMatch: ['<rootDir>/src/**/*.spec.ts'],
        extensionsToTreatAsEsm: ['.ts'],
        moduleNameMapper: {
          '^nestjs-talkto$': join(REPO_ROOT, 'lib/index.ts'),
          '^(\\.{1,2}/.*)\\.js$': '$1',
        },
        transform: {
          '^.+\\.ts$': [
            '@swc/jest',
            {
              jsc: {
                parser: { syntax: 'typescript', decorators: true },
                transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
                target: 'es2022',
              },
              module: { type: 'es6' },
            },
          ],
        },
      }),
    );
    const result = await exec(
      [
        '--experimental-vm-modules',
        join(REPO_ROOT, 'node_modules/jest/bin/jest.js'),
        '--config',
        'jest.config.json',
        '--ci',
      ],
      project,
    );
    expect(result.output).toContain('Tests:       3 passed, 3 total');
    expect(result.code).toBe(0);
  }, 240_000);
});
