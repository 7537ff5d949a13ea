import { describe, expect, it } from '@jest/globals';
import { loadOptionalPeer, loadPeerIfInstalled } from '../../lib/config/load-optional-peer.util.js';
import { TalktoConfigurationError } from '../../lib/errors/talkto-configuration.error.js';

describe('loadOptionalPeer', () => {
  it('returns an installed CommonJS package as its exports object', async () => {
    const bull = await loadOptionalPeer('bull', 'queue.driver', () => import('bull'));

    expect(typeof bull).toBe('function');
    expect(typeof bull.prototype.add).toBe('function');
  });

  it('names the missing package and the option that needs it', async () => {
    const name = 'talkto-peer-that-is-not-installed';
    const failure = loadOptionalPeer(name, 'queue.driver', () => import(name));

    await expect(failure).rejects.toBeInstanceOf(TalktoConfigurationError);
    await expect(failure).rejects.toThrow(
      `Invalid Talkto option [queue.driver]: needs the ${name} package, which is not installed (npm i ${name})`,
    );
  });

  it('rethrows a failure that is not the package being absent', async () => {
    const broken = Object.assign(new Error("Cannot find module 'left-pad' imported from bull"), {
      code: 'ERR_MODULE_NOT_FOUND',
    });

    await expect(loadOptionalPeer('bull', 'queue.driver', () => Promise.reject(broken))).rejects.toBe(broken);
  });
});

describe('loadPeerIfInstalled', () => {
  it('returns an installed package', async () => {
    const schedule = await loadPeerIfInstalled('@nestjs/schedule', () => import('@nestjs/schedule'));

    expect(typeof schedule?.SchedulerRegistry).toBe('function');
  });

  it('returns null for a package that is not installed', async () => {
    const name = 'talkto-peer-that-is-not-installed';

    await expect(loadPeerIfInstalled(name, () => import(name))).resolves.toBeNull();
  });

  it('rethrows a failure that is not the package being absent', async () => {
    const broken = Object.assign(new Error("Cannot find module 'left-pad' imported from @nestjs/schedule"), {
      code: 'ERR_MODULE_NOT_FOUND',
    });

    await expect(loadPeerIfInstalled('@nestjs/schedule', () => Promise.reject(broken))).rejects.toBe(broken);
  });
});
