import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { describe, expect, it } from '@jest/globals';

import { checkPayloadHash } from '../../scripts/conformance/payload-hash.check.js';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const vectorFile = resolve(repoRoot, '../shared/vectors/payload-hash.json');

describe('payload-hash vectors', () => {
  it('reproduces every canonical form, hash, receive path and send path recorded from PHP', () => {
    const vectors = JSON.parse(readFileSync(vectorFile, 'utf8')) as { cases: unknown[] };
    const result = checkPayloadHash(vectors);

    expect(result.failures).toEqual([]);
    expect(result.passed).toBe(vectors.cases.length);
  });
});
