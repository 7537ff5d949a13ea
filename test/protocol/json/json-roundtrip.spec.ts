import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';

import { encodeBodyJson } from '../../../lib/protocol/json/body-json.js';
import { encodeCanonicalJson } from '../../../lib/protocol/json/canonical-json.js';
import { decodeTalktoJson } from '../../../lib/protocol/json/json-reader.js';
import { freezePayload } from '../../../lib/protocol/json/payload-freezer.js';

const jsonText = fc.json({ depthSize: 'small', stringUnit: 'binary' });

describe('JSON round trips', () => {
  it('canonical JSON survives a body-JSON round trip unchanged', () => {
    fc.assert(
      fc.property(jsonText, (text) => {
        const value = decodeTalktoJson(text);
        expect(encodeCanonicalJson(decodeTalktoJson(encodeBodyJson(value)))).toBe(encodeCanonicalJson(value));
      }),
    );
  });

  it('canonicalization is idempotent', () => {
    fc.assert(
      fc.property(jsonText, (text) => {
        const once = encodeCanonicalJson(decodeTalktoJson(text));
        expect(encodeCanonicalJson(decodeTalktoJson(once))).toBe(once);
      }),
    );
  });

  it('the frozen body JSON is exactly the body text of the frozen value', () => {
    fc.assert(
      fc.property(jsonText, (text) => {
        const frozen = freezePayload(JSON.parse(text));
        expect(encodeBodyJson(frozen.value)).toBe(frozen.json);
        expect(encodeBodyJson(decodeTalktoJson(frozen.json))).toBe(frozen.json);
      }),
    );
  });

  it('reads whatever JSON.parse reads, and refuses what it refuses', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 12, unit: fc.constantFrom(...'{}[]",:0-1.e tnul\\') }), (text) => {
        let native = true;
        try {
          JSON.parse(text);
        } catch {
          native = false;
        }
        let ours = true;
        try {
          decodeTalktoJson(text);
        } catch {
          ours = false;
        }
        expect(ours).toBe(native);
      }),
      { numRuns: 3000 },
    );
  });
});
