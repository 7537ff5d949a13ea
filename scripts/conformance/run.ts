/**
 * Conformance runner: checks our protocol core against folders of Laravel Talkto vectors.
 * Usage: npm run -s conformance -- --vectors <dir> [--vectors <dir> ...]   (default ../shared/vectors)
 * A folder holds any of the vector files; a precondition may name a case of any folder given.
 * The envelope cases run twice: against the protocol core, and as real HTTP requests to Nest apps.
 * Prints one line per file, each failing case with expected vs got, then a total; exits 1 on
 * any failure.
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import type { CheckResult } from './check-result.js';
import { checkEnvelopes } from './envelopes.check.js';
import { checkEnvelopesOverHttp } from './envelopes-http.check.js';
import { checkPayloadHash } from './payload-hash.check.js';
import { checkSignatures } from './signatures.check.js';

/** Each vector file with the check that reads its parsed document. */
export const CHECKS: ReadonlyArray<[file: string, check: (doc: unknown) => CheckResult]> = [
  ['payload-hash.json', checkPayloadHash],
  ['signatures.json', checkSignatures],
  ['envelopes.json', checkEnvelopes],
];

type Json = Record<string, unknown>;

/** The vector files present in each folder; a folder with none of them is an error. */
function documents(
  vectorsDirs: readonly string[],
  file?: string,
): Array<{ dir: string; file: string; doc: unknown }> {
  return vectorsDirs.flatMap((dir) => {
    const files = CHECKS.map(([name]) => name).filter((name) => existsSync(join(dir, name)));
    if (files.length === 0) throw new Error(`no vector files in ${dir}`);
    return files
      .filter((name) => file === undefined || name === file)
      .map((name) => ({
        dir,
        file: name,
        doc: JSON.parse(readFileSync(join(dir, name), 'utf8')) as unknown,
      }));
  });
}

/** A result named after its folder too when several folders are checked. */
function labelled(result: CheckResult, dir: string, several: boolean): CheckResult {
  return several ? { ...result, file: `${basename(dir)}/${result.file}` } : result;
}

/** Runs every check on the vector files in the folders. */
export function runConformance(vectorsDirs: string | readonly string[]): CheckResult[] {
  const dirs = typeof vectorsDirs === 'string' ? [vectorsDirs] : vectorsDirs;
  return documents(dirs).map(({ dir, file, doc }) =>
    labelled(CHECKS.find(([name]) => name === file)![1](doc), dir, dirs.length > 1),
  );
}

/** envelopes.json of each folder delivered over real HTTP to Nest apps running the library, on Express and Fastify. */
export async function runHttpConformance(vectorsDirs: string | readonly string[]): Promise<CheckResult[]> {
  const dirs = typeof vectorsDirs === 'string' ? [vectorsDirs] : vectorsDirs;
  const envelopes = documents(dirs, 'envelopes.json');
  const known = new Map<string, Json>(
    envelopes.flatMap(({ doc }) =>
      ((doc as Json).cases as Json[]).map((vector): [string, Json] => [vector.name as string, vector]),
    ),
  );
  const results: CheckResult[] = [];
  for (const { dir, doc } of envelopes) {
    for (const adapter of ['express', 'fastify'] as const) {
      results.push(labelled(await checkEnvelopesOverHttp(doc, adapter, known), dir, dirs.length > 1));
    }
  }
  return results;
}

function vectorsDirsFrom(argv: string[]): string[] {
  const dirs = argv.flatMap((arg, index) =>
    arg === '--vectors' && argv[index + 1] ? [argv[index + 1]!] : [],
  );
  return (dirs.length > 0 ? dirs : ['../shared/vectors']).map((dir) => resolve(dir));
}

async function main(): Promise<void> {
  let passed = 0;
  let failed = 0;
  const vectorsDirs = vectorsDirsFrom(process.argv.slice(2));
  const results = [...runConformance(vectorsDirs), ...(await runHttpConformance(vectorsDirs))];
  for (const result of results) {
    console.log(
      `${result.file.replace(/\.json$/, '')}: ${result.passed}/${result.passed + result.failures.length}`,
    );
    for (const failure of result.failures) {
      console.log(`  FAIL ${failure.name}`);
      console.log(`    expected: ${JSON.stringify(failure.expected)}`);
      console.log(`    got:      ${JSON.stringify(failure.got)}`);
    }
    passed += result.passed;
    failed += result.failures.length;
  }
  console.log(`conformance: ${passed} passed, ${failed} failed`);
  process.exitCode = failed === 0 ? 0 : 1;
}

// Only when executed as the script, so tests can import `runConformance`.
if (process.argv[1] !== undefined && resolve(process.argv[1]) === new URL(import.meta.url).pathname) {
  await main();
}
