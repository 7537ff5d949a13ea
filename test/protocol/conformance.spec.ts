import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import { runConformance } from '../../scripts/conformance/run.js';

const vectorsDir = fileURLToPath(new URL('../../../shared/vectors/', import.meta.url));

describe('conformance against the shared PHP vectors', () => {
  const results = runConformance(vectorsDir);

  it.each(results.map((result) => [result.file, result] as const))(
    'passes every case of %s',
    (_file, result) => {
      expect(result.failures).toEqual([]);
      expect(result.passed).toBeGreaterThan(0);
    },
  );
});
