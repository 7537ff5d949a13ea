import { describe, expect, it } from '@jest/globals';
import { decideCallbackApplication } from '../../lib/persistence/callback-application.rule.js';

const state = (overallStatus: string, destinationActionStatus: string | null) => ({
  overallStatus,
  destinationActionStatus,
});

describe('decideCallbackApplication', () => {
  it('applies any report to a message that was only delivered', () => {
    for (const status of ['succeeded', 'skipped', 'failed_retryable', 'failed_final']) {
      expect(decideCallbackApplication(state('destination_received', 'queued'), status)).toBe('applied');
    }
  });

  it('calls the same status pair again a duplicate', () => {
    expect(decideCallbackApplication(state('completed', 'succeeded'), 'succeeded')).toBe('duplicate');
    expect(decideCallbackApplication(state('completed', 'skipped'), 'skipped')).toBe('duplicate');
    expect(decideCallbackApplication(state('failed_final', 'failed_final'), 'failed_final')).toBe(
      'duplicate',
    );
  });

  it('ignores failures and skips reported after success', () => {
    for (const status of ['skipped', 'failed_retryable', 'failed_final']) {
      expect(decideCallbackApplication(state('completed', 'succeeded'), status)).toBe('stale_ignored');
    }
    expect(decideCallbackApplication(state('completed', 'skipped'), 'failed_final')).toBe('stale_ignored');
  });

  it('never downgrades a final failure to a retryable one, but lets success win', () => {
    expect(decideCallbackApplication(state('failed_final', 'failed_final'), 'failed_retryable')).toBe(
      'stale_ignored',
    );
    expect(decideCallbackApplication(state('failed_final', 'failed_final'), 'succeeded')).toBe('applied');
    expect(decideCallbackApplication(state('failed_retryable', 'failed_retryable'), 'succeeded')).toBe(
      'applied',
    );
    expect(decideCallbackApplication(state('failed_retryable', 'failed_retryable'), 'failed_final')).toBe(
      'applied',
    );
  });
});
