import { describe, expect, it } from '@jest/globals';
import { listeningBaseUrl } from '../../lib/testing/listening-url.util.js';

const server = (listening: boolean, address: unknown) => ({ listening, address: () => address });

describe('listeningBaseUrl', () => {
  it('is null when there is no server or it does not listen on TCP', () => {
    expect(listeningBaseUrl(undefined)).toBeNull();
    expect(listeningBaseUrl(server(false, { address: '127.0.0.1', family: 'IPv4', port: 80 }))).toBeNull();
    expect(listeningBaseUrl(server(true, '/tmp/app.sock'))).toBeNull();
  });

  it('reaches a wildcard listener through the loopback address', () => {
    expect(listeningBaseUrl(server(true, { address: '::', family: 'IPv6', port: 3000 }))).toBe(
      'http://127.0.0.1:3000',
    );
    expect(listeningBaseUrl(server(true, { address: '0.0.0.0', family: 'IPv4', port: 3001 }))).toBe(
      'http://127.0.0.1:3001',
    );
  });

  it('brackets a specific IPv6 address', () => {
    expect(listeningBaseUrl(server(true, { address: '::1', family: 'IPv6', port: 8080 }))).toBe(
      'http://[::1]:8080',
    );
  });
});
