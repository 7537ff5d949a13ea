import { brotliDecompressSync, constants, gunzipSync, inflateRawSync, inflateSync } from 'node:zlib';

/**
 * An answer's body as `fetch`'s `response.text()` gives it: the content codings fetch undoes
 * (gzip, deflate, br; an unknown one leaves the bytes as they are), then UTF-8 with a leading
 * BOM dropped and bad sequences replaced.
 */
export function fetchResponseText(bytes: Buffer, contentEncoding: string | undefined): string {
  let decoded = bytes;
  if (contentEncoding && decoded.length > 0) {
    const codings = contentEncoding.toLowerCase().split(',');
    for (let index = codings.length - 1; index >= 0; index--) {
      const undo = DECODERS[codings[index]!.trim()];
      if (!undo) return UTF8.decode(bytes);
      decoded = undo(decoded);
    }
  }
  return UTF8.decode(decoded);
}

const UTF8 = new TextDecoder();

// Lenient like undici: a body cut short still yields what arrived.
const LENIENT = { flush: constants.Z_SYNC_FLUSH, finishFlush: constants.Z_SYNC_FLUSH };

const DECODERS: Record<string, (bytes: Buffer) => Buffer> = {
  gzip: (bytes) => gunzipSync(bytes, LENIENT),
  'x-gzip': (bytes) => gunzipSync(bytes, LENIENT),
  // `deflate` is meant to be zlib-wrapped; servers that send raw deflate are read too, as undici does.
  deflate: (bytes) =>
    (bytes[0]! & 0x0f) === 0x08 ? inflateSync(bytes, LENIENT) : inflateRawSync(bytes, LENIENT),
  br: (bytes) =>
    brotliDecompressSync(bytes, {
      flush: constants.BROTLI_OPERATION_FLUSH,
      finishFlush: constants.BROTLI_OPERATION_FLUSH,
    }),
};
