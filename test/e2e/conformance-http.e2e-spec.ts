import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import { runHttpConformance } from '../../scripts/conformance/run.js';

const vectorsDir = fileURLToPath(new URL('../../../shared/vectors/', import.meta.url));

describe('envelope vectors delivered over real HTTP', () => {
  it('answers every case on Express and Fastify with the status, error, field, body and outcome of the PHP receiver', async () => {
    const results = await runHttpConformance(vectorsDir);
    expect(results.map((result) => result.file)).toEqual(['envelopes (http)', 'envelopes (http, fastify)']);
    for (const result of results) {
      expect(result.failures).toEqual([]);
      expect(result.passed).toBe(75);
    }
  }, 180_000);
});
