import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import { runHttpConformance } from '../../scripts/conformance/run.js';

const vectorsDir = fileURLToPath(new URL('../../../shared/vectors/', import.meta.url));

describe('envelope vectors delivered over real HTTP', () => {
  it('answers every case with the status, error, field, body and outcome of the PHP receiver', async () => {
    const [result] = await runHttpConformance(vectorsDir);
    expect(result.failures).toEqual([]);
    expect(result.passed).toBe(75);
  }, 120_000);
});
