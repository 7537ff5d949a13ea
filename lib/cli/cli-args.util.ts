import { TalktoUsageError } from '../errors/talkto-usage.error.js';

/** A whole number option within [min, max], or `fallback` when absent. */
export function integerOption(
  value: string | boolean | undefined,
  option: string,
  fallback: number,
  min: number,
  max: number,
): number {
  if (value === undefined) {
    return fallback;
  }
  if (typeof value !== 'string' || !/^\d+$/.test(value)) {
    throw new TalktoUsageError(`--${option}`, `must be an integer from ${min} to ${max}`);
  }
  const number = Number(value);
  if (number < min || number > max) {
    throw new TalktoUsageError(`--${option}`, `must be an integer from ${min} to ${max}`);
  }
  return number;
}

export function stringOption(value: string | boolean | undefined): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

export function directionOption(value: string | boolean | undefined): 'incoming' | 'outgoing' | 'all' {
  const direction = stringOption(value) ?? 'all';
  if (direction !== 'incoming' && direction !== 'outgoing' && direction !== 'all') {
    throw new TalktoUsageError('--direction', "must be 'incoming', 'outgoing' or 'all'");
  }
  return direction;
}

export function dateOption(value: string | boolean | undefined, option: string): Date | undefined {
  const text = stringOption(value);
  if (text === undefined) {
    return undefined;
  }
  const date = new Date(text);
  if (Number.isNaN(date.getTime())) {
    throw new TalktoUsageError(`--${option}`, 'must be a date');
  }
  return date;
}
