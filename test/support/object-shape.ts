import { setFlagsFromString } from 'node:v8';

// V8's own view of an object, for tests that guard against shapes it reads slowly.
setFlagsFromString('--allow-natives-syntax');
const fastProperties = new Function('object', 'return %HasFastProperties(object)') as (
  object: object,
) => boolean;

/** False when V8 keeps the object as a dictionary: every property read of it is a hash lookup. */
export function hasFastProperties(object: object): boolean {
  return fastProperties(object);
}
