import { describe, expect, it } from '@jest/globals';
import { resolveTalktoOptions } from '../../lib/config/resolve-options.js';
import { TalktoConfigurationError, type TalktoModuleOptions } from '../../lib/index.js';

const SECRET = 'a-long-enough-shared-secret-for-tests-0001';

function rejection(options: TalktoModuleOptions): TalktoConfigurationError {
  try {
    resolveTalktoOptions(options);
  } catch (error) {
    expect(error).toBeInstanceOf(TalktoConfigurationError);
    return error as TalktoConfigurationError;
  }
  throw new Error('expected the options to be rejected');
}

describe('resolveTalktoOptions', () => {
  it('applies the documented defaults', () => {
    const resolved = resolveTalktoOptions({ service: 'inventory' });
    expect(resolved.security).toEqual({
      signatureVersion: 'v2',
      acceptVersions: ['v2'],
      timestampToleranceSeconds: 300,
      replayProtection: true,
      requireNonceForV2: true,
      nonceHeader: 'X-Talkto-Nonce',
      signatureVersionHeader: 'X-Talkto-Signature-Version',
      redactedKeys: [],
    });
    expect(resolved.queue).toEqual({ driver: 'in-process' });
    expect(resolved.routes).toEqual({
      enabled: true,
      prefix: null,
      receivePath: 'talkto/receive',
      callbackPath: 'talkto/callback',
    });
    expect(resolved.maxAttempts).toBe(5);
    expect(resolved.httpTimeoutMs).toBe(20_000);
  });

  it('builds peer URLs the way a PHP sender does', () => {
    const resolved = resolveTalktoOptions({
      service: 'website',
      outgoing: {
        rooted: { baseUrl: 'https://service.test/root', receiveEndpoint: '/talkto/receive', secret: SECRET },
        legacy: { receiveUrl: 'https://legacy.test/api/talkto/receive', secret: SECRET },
        custom: { receiveUrl: 'https://custom.test/in', secret: SECRET },
      },
    });
    expect(resolved.outgoing.get('rooted')).toMatchObject({
      receiveUrl: 'https://service.test/root/talkto/receive',
      callbackUrl: 'https://service.test/root/api/talkto/callback',
    });
    expect(resolved.outgoing.get('legacy')?.callbackUrl).toBe('https://legacy.test/api/talkto/callback');
    expect(resolved.outgoing.get('custom')?.callbackUrl).toBeNull();
  });

  it('fails closed on a peer without a secret, naming the key', () => {
    const error = rejection({ service: 'a', incoming: { b: { secret: '' } } });
    expect(error.field).toBe('incoming.b.secret');
    expect(error.code).toBe('invalid_configuration');
  });

  it('rejects relative peer URLs', () => {
    expect(rejection({ service: 'a', outgoing: { b: { baseUrl: '/relative', secret: SECRET } } }).field).toBe(
      'outgoing.b.baseUrl',
    );
  });

  it('rejects an unknown signature version and unsafe service names', () => {
    expect(rejection({ service: 'a', security: { signatureVersion: 'v3' as never } }).field).toBe(
      'security.signatureVersion',
    );
    expect(rejection({ service: 'in\nventory' }).field).toBe('service');
  });

  it('rejects custom headers that would collide with protocol headers', () => {
    const error = rejection({
      service: 'a',
      outgoing: { b: { baseUrl: 'https://b.test', secret: SECRET, headers: { 'X-Talkto-Nonce': 'x' } } },
    });
    expect(error.field).toBe('outgoing.b.headers');
  });

  it('never puts a secret into an error message', () => {
    const secret = 'super-secret-value-that-must-not-leak-123';
    const error = rejection({ service: 'a', outgoing: { b: { baseUrl: 'ftp://b.test', secret } } });
    expect(error.message).not.toContain(secret);
  });

  it.each([
    [{ service: 'a', outgoin: {} }, 'outgoin', 'outgoing'],
    [{ service: 'a', workers: { sendConcurency: 2 } }, 'workers.sendConcurency', 'sendConcurrency'],
    [
      { service: 'a', outgoing: { b: { baseURL: 'https://b.test', secret: SECRET } } },
      'outgoing.b.baseURL',
      'baseUrl',
    ],
    [{ service: 'a', retry: { peers: { b: { maxAttemps: 3 } } } }, 'retry.peers.b.maxAttemps', 'maxAttempts'],
  ])('rejects an unknown key %#, naming it and the nearest known key', (options, key, suggestion) => {
    const error = rejection(options as unknown as TalktoModuleOptions);
    expect(error.message).toContain(`[${key}]`);
    expect(error.message).toContain(`did you mean '${suggestion}'`);
  });

  it('names the known keys when an unknown one is close to none of them', () => {
    const error = rejection({ service: 'a', zzzzzzzzzz: 1 } as unknown as TalktoModuleOptions);
    expect(error.message).toContain('[zzzzzzzzzz]');
    expect(error.message).toContain('known here: service, outgoing');
  });

  it('takes the values of free-form options as given', () => {
    const resolved = resolveTalktoOptions({
      service: 'a',
      outgoing: { b: { baseUrl: 'https://b.test', secret: SECRET, headers: { 'X-Anything': '1' } } },
      incoming: { b: { secret: SECRET, allowedCommands: { 'any.command': { idempotency: 'required' } } } },
    });
    expect(resolved.outgoing.get('b')?.headers).toEqual([['X-Anything', '1']]);
  });
});
