import type { IncomingMessage } from 'node:http';

/** PHP treats a body as JSON when its content type names JSON in any of these ways. */
export function isJsonContentType(contentType: string | undefined): boolean {
  const type = (contentType ?? '').toLowerCase();
  return type.includes('/json') || type.includes('+json');
}

interface RequestWithBody {
  rawBody?: Buffer;
  raw?: IncomingMessage;
  readable?: boolean;
  readableEnded?: boolean;
  [Symbol.asyncIterator]?: () => AsyncIterator<Buffer>;
}

async function readStream(stream: AsyncIterable<Buffer>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) {
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/**
 * The exact bytes of the request body. Hashing and decoding must see what the peer sent, never a
 * body a framework parser re-shaped: Nest keeps it as `rawBody` when the app is created with
 * `{ rawBody: true }`; a body no parser touched is read from the stream here.
 */
export async function readRawBody(request: RequestWithBody): Promise<Buffer | null> {
  if (Buffer.isBuffer(request.rawBody)) {
    return request.rawBody;
  }
  const stream = (request.raw ?? request) as RequestWithBody;
  if (stream.readable && !stream.readableEnded && stream[Symbol.asyncIterator]) {
    return readStream(stream as AsyncIterable<Buffer>);
  }
  return null;
}
