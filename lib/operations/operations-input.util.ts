import { TalktoUsageError } from '../errors/talkto-usage.error.js';
import type { DirectionFilter } from './report.interfaces.js';

/** `incoming`, `outgoing` or `all`; anything else is a usage error naming the option. */
export function checkDirection(value: unknown, option: string): DirectionFilter {
  if (value !== 'incoming' && value !== 'outgoing' && value !== 'all') {
    throw new TalktoUsageError(option, "must be 'incoming', 'outgoing' or 'all'");
  }
  return value;
}

/** An integer within [min, max]; out-of-range values are refused, not clamped. */
export function checkIntegerRange(value: unknown, option: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new TalktoUsageError(option, `must be an integer from ${min} to ${max}`);
  }
  return value;
}
