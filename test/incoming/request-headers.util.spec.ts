import { describe, expect, it } from '@jest/globals';
import { requestHeaders } from '../../lib/incoming/request-headers.util.js';

describe('requestHeaders', () => {
  it('rebuilds separately sent values of a singular protocol header from the raw list', () => {
    const headers = requestHeaders(
      {
        headers: { 'x-talkto-nonce': 'a, b', 'x-custom': 'c, d' },
        rawHeaders: ['X-Talkto-Nonce', 'a', 'X-Custom', 'c', 'x-talkto-nonce', 'b', 'X-Custom', 'd'],
      },
      [],
    );
    expect(headers['x-talkto-nonce']).toEqual(['a', 'b']);
    expect(headers['x-custom']).toBe('c, d');
  });

  it('keeps one comma-joined value as one value', () => {
    const headers = requestHeaders(
      { headers: { 'x-talkto-signature': 'a, b' }, rawHeaders: ['X-Talkto-Signature', 'a, b'] },
      [],
    );
    expect(headers['x-talkto-signature']).toBe('a, b');
  });

  it('treats configured nonce and version header names as singular too, and reads Fastify raw requests', () => {
    const headers = requestHeaders(
      { headers: { 'x-my-nonce': 'a, b' }, raw: { rawHeaders: ['X-My-Nonce', 'a', 'X-My-Nonce', 'b'] } },
      ['X-My-Nonce'],
    );
    expect(headers['x-my-nonce']).toEqual(['a', 'b']);
  });

  it('leaves the request headers untouched, and each configured list its own, across requests', () => {
    const request = {
      headers: { 'x-my-nonce': 'a, b' },
      rawHeaders: ['X-My-Nonce', 'a', 'X-My-Nonce', 'b'],
    };
    expect(requestHeaders(request, [])['x-my-nonce']).toBe('a, b');
    expect(requestHeaders(request, ['X-My-Nonce'])['x-my-nonce']).toEqual(['a', 'b']);
    expect(request.headers['x-my-nonce']).toBe('a, b');
  });
});
