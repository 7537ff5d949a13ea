import type { AddressInfo } from 'node:net';

interface ServerLike {
  listening?: boolean;
  address?: () => AddressInfo | string | null;
}

const WILDCARDS = new Set(['0.0.0.0', '::', '']);

/** `http://host:port` of a listening Node HTTP server, or null when it is not listening on TCP. */
export function listeningBaseUrl(server: unknown): string | null {
  const candidate = server as ServerLike | null | undefined;
  if (!candidate?.listening || typeof candidate.address !== 'function') {
    return null;
  }
  const address = candidate.address();
  if (address === null || typeof address === 'string') {
    return null;
  }
  const host = WILDCARDS.has(address.address)
    ? '127.0.0.1'
    : address.family === 'IPv6'
      ? `[${address.address}]`
      : address.address;
  return `http://${host}:${address.port}`;
}
