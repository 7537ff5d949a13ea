/**
 * Conformance runner: checks our protocol core against a folder of Laravel Talkto vectors.
 * Usage: npm run -s conformance -- --vectors <dir>   (default ../shared/vectors)
 * The envelope cases run twice: against the protocol core, and as real HTTP requests to Nest apps.
 * Prints one line per file, each failing case with expected vs got, then a total; exits 1 on
 * any failure.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
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

/** Runs every check on the vector files in `vectorsDir`. */
export function runConformance(vectorsDir: string): CheckResult[] {
  return CHECKS.map(([file, check]) => check(JSON.parse(readFileSync(join(vectorsDir, file), 'utf8'))));
}

/** envelopes.json delivered over real HTTP to Nest apps running the library, on Express and Fastify. */
export async function runHttpConformance(vectorsDir: string): Promise<CheckResult[]> {
  const doc: unknown = JSON.parse(readFileSync(join(vectorsDir, 'envelopes.json'), 'utf8'));
  return [await checkEnvelopesOverHttp(doc, 'express'), await checkEnvelopesOverHttp(doc, 'fastify')];
}

function vectorsDirFrom(argv: string[]): string {
  const flag = argv.indexOf('--vectors');
  return resolve(flag >= 0 && argv[flag + 1] ? argv[flag + 1] : '../shared/vectors');
}

async function main(): Promise<void> {
  let passed = 0;
  let failed = 0;
  const vectorsDir = vectorsDirFrom(process.argv.slice(2));
  const results = [...runConformance(vectorsDir), ...(await runHttpConformance(vectorsDir))];
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
