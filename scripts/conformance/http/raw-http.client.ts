import { connect } from 'node:net';

export interface RawRequest {
  method: string;
  path: string;
  /** Header lines in order; a name may repeat. Values are sent as their UTF-8 bytes. */
  headers: Array<[string, string]>;
  body: Buffer;
}

export interface RawResponse {
  status: number;
  body: string;
}

function decodeChunked(data: Buffer): Buffer {
  const parts: Buffer[] = [];
  let offset = 0;
  for (;;) {
    const lineEnd = data.indexOf('\r\n', offset);
    const size = parseInt(data.subarray(offset, lineEnd).toString('latin1'), 16);
    if (!size) {
      return Buffer.concat(parts);
    }
    parts.push(data.subarray(lineEnd + 2, lineEnd + 2 + size));
    offset = lineEnd + 2 + size + 2;
  }
}

/**
 * Sends one request byte for byte over a plain socket. Node's HTTP client would refuse some of
 * the vectors' bytes (a control character in a header value) and merge repeated headers, which
 * is exactly what these cases are about.
 */
export function sendRaw(port: number, request: RawRequest): Promise<RawResponse> {
  const head = [
    `${request.method} ${request.path} HTTP/1.1`,
    `Host: 127.0.0.1:${port}`,
    ...request.headers.map(([name, value]) => `${name}: ${value}`),
    `Content-Length: ${request.body.length}`,
    'Connection: close',
    '',
    '',
  ].join('\r\n');
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('end', () => {
      const data = Buffer.concat(chunks);
      const split = data.indexOf('\r\n\r\n');
      const headerText = data.subarray(0, split).toString('latin1');
      const status = Number(headerText.split(' ')[1]);
      const rawBody = data.subarray(split + 4);
      const body = /\r\ntransfer-encoding:\s*chunked/i.test(headerText) ? decodeChunked(rawBody) : rawBody;
      resolve({ status, body: body.toString('utf8') });
    });
    socket.write(Buffer.concat([Buffer.from(head, 'utf8'), request.body]));
  });
}
