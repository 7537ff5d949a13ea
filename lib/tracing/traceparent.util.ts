/** W3C Trace Context `traceparent`: version, trace id, parent span id, flags (all lowercase hex). */
const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/**
 * True for a well-formed `traceparent` we can store and forward. Version `ff` and all-zero ids are
 * invalid per the spec; later versions may append fields, which we do not carry.
 */
export function isValidTraceparent(value: unknown): value is string {
  if (typeof value !== 'string') {
    return false;
  }
  const match = TRACEPARENT.exec(value);
  return match !== null && match[1] !== 'ff' && !/^0+$/.test(match[2]) && !/^0+$/.test(match[3]);
}

/** The header value if it is one valid `traceparent`, else null (a bad trace header never fails a request). */
export function readTraceparent(header: unknown): string | null {
  const value: unknown = Array.isArray(header) ? (header.length === 1 ? header[0] : undefined) : header;
  return isValidTraceparent(value) ? value : null;
}
