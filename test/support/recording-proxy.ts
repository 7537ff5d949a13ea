import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { freePort } from './free-port.js';

export interface RecordedRequest {
  path: string;
  headers: Array<[string, string]>;
  body: string;
}

/** Headers the HTTP client sets for itself; everything else is replayed as the peer sent it. */
const HOP_HEADERS = new Set(['host', 'connection', 'content-length', 'transfer-encoding', 'keep-alive']);

/**
 * Forwards every request to `target` unchanged and keeps a copy, so a test can replay a peer's
 * exact bytes (signature, nonce and all) later.
 */
export class RecordingProxy {
  private constructor(
    readonly url: string,
    private readonly server: Server,
    readonly requests: readonly RecordedRequest[],
  ) {}

  static async start(target: string): Promise<RecordingProxy> {
    const port = await freePort();
    const requests: RecordedRequest[] = [];
    const server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const recorded = {
          path: request.url ?? '/',
          headers: forwardable(request.headers),
          body: Buffer.concat(chunks).toString('utf8'),
        };
        requests.push(recorded);
        replay(target, recorded).then(
          (answer) => {
            response.writeHead(answer.status, { 'content-type': 'application/json' });
            response.end(answer.body);
          },
          () => {
            response.writeHead(502);
            response.end();
          },
        );
      });
    });
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    return new RecordingProxy(`http://127.0.0.1:${port}`, server, requests);
  }

  /** The last request whose body names `messageId`. */
  find(messageId: string): RecordedRequest {
    const found = [...this.requests]
      .reverse()
      .find((request) => request.body.includes(`"message_id":"${messageId}"`));
    if (!found) throw new Error(`no recorded request for ${messageId}`);
    return found;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** Posts a recorded request to `base` again, byte for byte. */
export async function replay(
  base: string,
  request: RecordedRequest,
): Promise<{ status: number; body: string }> {
  const response = await fetch(`${base}${request.path}`, {
    method: 'POST',
    headers: request.headers,
    body: request.body,
  });
  return { status: response.status, body: await response.text() };
}

function forwardable(headers: IncomingHttpHeaders): Array<[string, string]> {
  return Object.entries(headers).flatMap(([name, value]) =>
    HOP_HEADERS.has(name) || value === undefined
      ? []
      : (Array.isArray(value) ? value : [value]).map((one): [string, string] => [name, one]),
  );
}
