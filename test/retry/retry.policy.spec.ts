import { describe, expect, it, jest } from '@jest/globals';
import { resolveTalktoOptions } from '../../lib/config/resolve-options.js';
import { TalktoConfigurationError } from '../../lib/errors/talkto-configuration.error.js';
import { TalktoModule } from '../../lib/talkto.module.js';
import type { TalktoRetryOptions } from '../../lib/retry/retry-options.interface.js';
import {
  type JitterSource,
  RetryPolicy,
  type RetryableMessage,
  retryEventMeta,
} from '../../lib/retry/retry.policy.js';

const NOW = new Date('2026-03-01T12:00:00.000Z');

function policy(retry?: TalktoRetryOptions, jitter?: JitterSource): RetryPolicy {
  return new RetryPolicy(resolveTalktoOptions({ service: 'shop', retry }), jitter);
}

function outgoing(overrides: Partial<RetryableMessage> = {}): RetryableMessage {
  return {
    direction: 'outgoing',
    sourceService: 'shop',
    targetService: 'billing',
    command: 'invoice.create',
    overallStatus: 'failed_retryable',
    retryCount: 1,
    maxAttempts: 5,
    nextRetryAt: new Date(NOW.getTime() - 1000),
    ...overrides,
  };
}

function incoming(overrides: Partial<RetryableMessage> = {}): RetryableMessage {
  return outgoing({ direction: 'incoming', sourceService: 'billing', targetService: 'shop', ...overrides });
}

function configurationKey(retry: unknown): string {
  try {
    resolveTalktoOptions({ service: 'shop', retry: retry as TalktoRetryOptions });
  } catch (error) {
    expect(error).toBeInstanceOf(TalktoConfigurationError);
    expect((error as TalktoConfigurationError).message).toContain(
      `[${(error as TalktoConfigurationError).field}]`,
    );
    return (error as TalktoConfigurationError).field!;
  }
  throw new Error('expected the retry options to be rejected');
}

describe('RetryPolicy settings', () => {
  const layered = policy({
    backoffSeconds: [1],
    jitterSeconds: 0,
    outgoing: { backoffSeconds: [2], maxAttempts: 7 },
    incoming: { enabled: true, backoffSeconds: [3] },
    peers: { billing: { backoffSeconds: [4], retryableHttpStatuses: [409] } },
    commands: { 'invoice.create': { backoffSeconds: [5] } },
  });

  it('layers direction < peer < command, each overriding only the keys it sets', () => {
    expect(layered.settingsFor('outgoing', 'billing', 'invoice.create')).toMatchObject({
      backoffSeconds: [5],
      retryableHttpStatuses: [409],
      maxAttempts: 7,
    });
    expect(layered.settingsFor('outgoing', 'billing', 'other.command').backoffSeconds).toEqual([4]);
    expect(layered.settingsFor('outgoing', 'mail', 'other.command')).toMatchObject({
      backoffSeconds: [2],
      retryableHttpStatuses: [408, 425, 429],
    });
    expect(layered.settingsFor('incoming', 'mail', 'other.command')).toMatchObject({
      backoffSeconds: [3],
      maxAttempts: 5,
    });
  });

  it('takes the peer from the target of an outgoing message and the source of an incoming one', () => {
    const command = { command: 'other.command' };
    expect(
      layered.settingsForMessage(outgoing({ ...command, targetService: 'billing' })).backoffSeconds,
    ).toEqual([4]);
    expect(
      layered.settingsForMessage(outgoing({ ...command, targetService: 'mail', sourceService: 'billing' }))
        .backoffSeconds,
    ).toEqual([2]);
    expect(
      layered.settingsForMessage(incoming({ ...command, sourceService: 'billing' })).backoffSeconds,
    ).toEqual([4]);
    expect(
      layered.settingsForMessage(incoming({ ...command, sourceService: 'mail', targetService: 'billing' }))
        .backoffSeconds,
    ).toEqual([3]);
  });

  it('keeps the stored max_attempts over every layer and uses the layers only for a stored 0', () => {
    const configured = policy({ maxAttempts: 9, commands: { 'invoice.create': { maxAttempts: 8 } } });
    expect(configured.maxAttemptsOf(outgoing({ maxAttempts: 2 }))).toBe(2);
    expect(configured.maxAttemptsOf(outgoing({ maxAttempts: 0 }))).toBe(8);
    expect(configured.maxAttemptsOf(outgoing({ maxAttempts: 0, command: 'other' }))).toBe(9);

    const decision = configured.decisionFor(outgoing({ maxAttempts: 2, retryCount: 2 }), { now: NOW });
    expect(decision).toMatchObject({ reason: 'max_attempts_exhausted', maxAttempts: 2 });
  });

  it('rejects invalid values at boot, naming the option key', () => {
    expect(configurationKey({ maxAttempts: 0 })).toBe('retry.maxAttempts');
    expect(configurationKey({ backoffSeconds: [10, -1] })).toBe('retry.backoffSeconds[1]');
    expect(configurationKey({ backoffSeconds: [] })).toBe('retry.backoffSeconds');
    expect(configurationKey({ jitterSeconds: 1.5 })).toBe('retry.jitterSeconds');
    expect(configurationKey({ retryServerErrors: 'yes' })).toBe('retry.retryServerErrors');
    expect(configurationKey({ outgoing: { enabled: 1 } })).toBe('retry.outgoing.enabled');
    expect(configurationKey({ peers: { billing: { retryableHttpStatuses: [700] } } })).toBe(
      'retry.peers.billing.retryableHttpStatuses[0]',
    );
    expect(configurationKey({ commands: { 'invoice.create': { maxAttempts: 0 } } })).toBe(
      'retry.commands.invoice.create.maxAttempts',
    );
    expect(configurationKey({ commands: { 'invoice.create': { maxAttempt: 3 } } })).toBe(
      'retry.commands.invoice.create.maxAttempt',
    );
    expect(configurationKey({ peers: [] })).toBe('retry.peers');
  });

  it('fails TalktoModule.forRoot itself, before the application starts', () => {
    expect(() =>
      TalktoModule.forRoot({ service: 'shop', retry: { peers: { billing: { jitterSeconds: -1 } } } }),
    ).toThrow('Invalid Talkto option [retry.peers.billing.jitterSeconds]');
  });
});

describe('RetryPolicy backoff', () => {
  it('waits 10, 30 and 300 seconds after 0, 1 and 99 earlier retries with the defaults', () => {
    const defaults = policy();
    const settings = defaults.settingsFor('outgoing', 'billing', 'invoice.create');
    expect([0, 1, 99].map((count) => defaults.backoffSeconds(count, settings))).toEqual([10, 30, 300]);
  });

  it('adds jitter between 0 and jitterSeconds inclusive, asking the source for exactly that bound', () => {
    const source = jest.fn<JitterSource>((max) => max);
    const jittered = policy({ jitterSeconds: 4 }, source);
    const settings = jittered.settingsFor('outgoing', 'billing', 'invoice.create');
    expect(jittered.backoffSeconds(0, settings)).toBe(14);
    expect(source).toHaveBeenCalledWith(4);

    const random = policy({ jitterSeconds: 3 });
    const randomSettings = random.settingsFor('outgoing', 'billing', 'invoice.create');
    const delays = new Set(Array.from({ length: 400 }, () => random.backoffSeconds(1, randomSettings)));
    for (const delay of delays) {
      expect(delay).toBeGreaterThanOrEqual(30);
      expect(delay).toBeLessThanOrEqual(33);
    }
    expect(delays).toEqual(new Set([30, 31, 32, 33]));
  });

  it('never asks for jitter when jitterSeconds is 0', () => {
    const source = jest.fn<JitterSource>(() => 99);
    const plain = policy({}, source);
    expect(plain.backoffSeconds(2, plain.settingsFor('outgoing', 'billing', 'x'))).toBe(60);
    expect(source).not.toHaveBeenCalled();
  });

  it('stores the jittered delay in the decision it schedules', () => {
    const decision = policy({ jitterSeconds: 5 }, () => 2).decisionFor(outgoing({ retryCount: 0 }), {
      now: NOW,
      afterFailure: true,
      httpStatus: 503,
    });
    expect(decision.backoffSeconds).toBe(12);
    expect(decision.nextRetryAt).toEqual(new Date(NOW.getTime() + 12_000));
  });
});

describe('RetryPolicy decisions', () => {
  const defaults = policy();

  it('eligible: a due failed_retryable outgoing message within its budget', () => {
    expect(defaults.decisionFor(outgoing(), { now: NOW })).toMatchObject({
      reason: 'eligible',
      retryable: true,
      backoffSeconds: null,
    });
  });

  it('retry_disabled: retries switched off at the base, or by a command layer', () => {
    expect(policy({ enabled: false }).decisionFor(outgoing(), { now: NOW }).reason).toBe('retry_disabled');
    const offForCommand = policy({ commands: { 'invoice.create': { enabled: false } } });
    expect(offForCommand.decisionFor(outgoing(), { now: NOW }).reason).toBe('retry_disabled');
    expect(offForCommand.decisionFor(outgoing({ command: 'other' }), { now: NOW }).reason).toBe('eligible');
  });

  it('direction_disabled: incoming retries are off by default, outgoing ones can be switched off', () => {
    expect(defaults.decisionFor(incoming(), { now: NOW })).toMatchObject({
      reason: 'direction_disabled',
      directionEnabled: false,
    });
    expect(policy({ incoming: { enabled: true } }).decisionFor(incoming(), { now: NOW }).reason).toBe(
      'eligible',
    );
    expect(policy({ outgoing: { enabled: false } }).decisionFor(outgoing(), { now: NOW }).reason).toBe(
      'direction_disabled',
    );
    expect(defaults.decisionFor(outgoing({ direction: 'sideways' }), { now: NOW }).reason).toBe(
      'direction_disabled',
    );
  });

  it('non_retryable_status: a 4xx answer outside the list, or a row that is not failed_retryable', () => {
    const afterFailure = { now: NOW, afterFailure: true };
    expect(defaults.decisionFor(outgoing(), { ...afterFailure, httpStatus: 404 })).toMatchObject({
      reason: 'non_retryable_status',
      httpStatusRetryable: false,
    });
    expect(defaults.decisionFor(outgoing(), { ...afterFailure, httpStatus: 429 }).reason).toBe('eligible');
    expect(defaults.decisionFor(outgoing({ overallStatus: 'failed_final' }), { now: NOW }).reason).toBe(
      'non_retryable_status',
    );
  });

  it('max_attempts_exhausted: no room for another attempt', () => {
    expect(defaults.decisionFor(outgoing({ retryCount: 5 }), { now: NOW }).reason).toBe(
      'max_attempts_exhausted',
    );
    // After the 5th failure of 5 attempts nothing more is scheduled.
    const fifth = defaults.decisionFor(outgoing({ retryCount: 4 }), {
      now: NOW,
      afterFailure: true,
      httpStatus: 500,
    });
    expect(fifth).toMatchObject({ reason: 'max_attempts_exhausted', canSchedule: false, nextRetryAt: null });
    const fourth = defaults.decisionFor(outgoing({ retryCount: 3 }), {
      now: NOW,
      afterFailure: true,
      httpStatus: 500,
    });
    expect(fourth).toMatchObject({ reason: 'eligible', canSchedule: true, backoffSeconds: 120 });
  });

  it('not_due: the retry time is still ahead, or none is recorded; ignoreDue overrides it', () => {
    const later = outgoing({ nextRetryAt: new Date(NOW.getTime() + 1000) });
    expect(defaults.decisionFor(later, { now: NOW }).reason).toBe('not_due');
    expect(defaults.decisionFor(outgoing({ nextRetryAt: null }), { now: NOW }).reason).toBe('not_due');
    expect(defaults.decisionFor(later, { now: NOW, ignoreDue: true }).reason).toBe('eligible');
    expect(defaults.decisionFor(outgoing({ nextRetryAt: NOW }), { now: NOW }).reason).toBe('eligible');
  });

  it('checks the reasons in their documented order', () => {
    const everythingWrong = outgoing({ overallStatus: 'failed_final', retryCount: 9, nextRetryAt: null });
    expect(policy({ enabled: false }).decisionFor(everythingWrong, { now: NOW }).reason).toBe(
      'retry_disabled',
    );
    expect(policy({ outgoing: { enabled: false } }).decisionFor(everythingWrong, { now: NOW }).reason).toBe(
      'direction_disabled',
    );
    expect(defaults.decisionFor(everythingWrong, { now: NOW }).reason).toBe('non_retryable_status');
    expect(
      defaults.decisionFor({ ...everythingWrong, overallStatus: 'failed_retryable' }, { now: NOW }).reason,
    ).toBe('max_attempts_exhausted');
  });
});

describe('RetryPolicy server errors', () => {
  it('retries every 5xx by default and none once retryServerErrors is off, keeping the listed statuses', () => {
    const defaults = policy();
    expect([500, 503, 599].map((status) => defaults.isRetryableHttpStatus(status))).toEqual([
      true,
      true,
      true,
    ]);
    expect([400, 404, 422, 600].map((status) => defaults.isRetryableHttpStatus(status))).toEqual([
      false,
      false,
      false,
      false,
    ]);

    const off = policy({ retryServerErrors: false });
    expect(off.isRetryableHttpStatus(503)).toBe(false);
    expect(off.isRetryableHttpStatus(429)).toBe(true);
    expect(off.decisionFor(outgoing(), { now: NOW, afterFailure: true, httpStatus: 503 }).reason).toBe(
      'non_retryable_status',
    );
  });

  it('switches server errors per peer', () => {
    const perPeer = policy({ retryServerErrors: false, peers: { billing: { retryServerErrors: true } } });
    const afterFailure = { now: NOW, afterFailure: true, httpStatus: 502 };
    expect(perPeer.decisionFor(outgoing(), afterFailure).reason).toBe('eligible');
    expect(perPeer.decisionFor(outgoing({ targetService: 'mail' }), afterFailure).reason).toBe(
      'non_retryable_status',
    );
  });
});

describe('RetryPolicy back-pressure', () => {
  const afterFailure = (httpStatus: number, retryAfter?: string | null, retryCount = 4) =>
    policy(undefined, (max) => max).decisionFor(outgoing({ retryCount, maxAttempts: 5 }), {
      now: NOW,
      httpStatus,
      retryAfter,
      afterFailure: true,
    });

  it('schedules a throttled retry even with the budget spent, at Retry-After plus up to as long again', () => {
    const decision = afterFailure(429, '20');
    expect(decision).toMatchObject({
      reason: 'eligible',
      retryable: true,
      throttled: true,
      backoffSeconds: 40,
    });
    expect(decision.nextRetryAt).toEqual(new Date(NOW.getTime() + 40_000));
    const lowest = policy(undefined, () => 0).decisionFor(outgoing({ retryCount: 4 }), {
      now: NOW,
      httpStatus: 429,
      retryAfter: '20',
      afterFailure: true,
    });
    expect(lowest.backoffSeconds).toBe(20);
  });

  it('reads Retry-After as an HTTP date too, and waits the backoff when a 429 names none', () => {
    const date = new Date(NOW.getTime() + 30_000).toUTCString();
    expect(afterFailure(429, date).backoffSeconds).toBe(60);
    // The backoff after 4 earlier retries is 300 s with the defaults.
    expect(afterFailure(429, null).backoffSeconds).toBe(600);
  });

  it('takes a 503 as back-pressure only with Retry-After; without it the budget runs out as usual', () => {
    expect(afterFailure(503, '5')).toMatchObject({ throttled: true, retryable: true, backoffSeconds: 10 });
    expect(afterFailure(503, null)).toMatchObject({ throttled: false, reason: 'max_attempts_exhausted' });
    expect(afterFailure(500, '5')).toMatchObject({ throttled: false, reason: 'max_attempts_exhausted' });
  });

  it('records the grown budget and the throttling in the retry event meta', () => {
    const decision = afterFailure(429, '1');
    expect(retryEventMeta(outgoing({ retryCount: 4, maxAttempts: 5 }), decision, NOW)).toMatchObject({
      retry_count: 5,
      max_attempts: 6,
      reason: 'scheduled',
      throttled: true,
    });
  });

  it('caps a Retry-After at an hour', () => {
    expect(afterFailure(429, '999999').backoffSeconds).toBe(7200);
  });
});
