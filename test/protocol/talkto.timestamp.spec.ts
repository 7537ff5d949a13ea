import { describe, expect, it } from '@jest/globals';
import {
  formatTalktoTimestamp,
  isTimestampWithinTolerance,
  parseTalktoTimestamp,
} from '../../lib/protocol/talkto.timestamp.js';

const NOON = Date.UTC(2026, 5, 20, 12, 0, 0) / 1000;

describe('parseTalktoTimestamp', () => {
  it.each([
    ['2026-06-20T12:00:00+00:00', NOON],
    ['2026-06-20T12:00:00Z', NOON],
    ['2026-06-20T12:00:00z', NOON],
    ['2026-06-20T15:30:00+03:30', NOON],
    ['2026-06-20T08:00:00-0400', NOON],
    ['2026-06-20T12:00:00.987654Z', NOON],
    ['2026-06-20T12:00:00.5+00:00', NOON],
    ['2026-06-20 12:00:00', NOON],
    ['Sat, 20 Jun 2026 12:00:00 GMT', NOON],
    ['Sat, 20 Jun 2026 14:00:00 +0200', NOON],
    ['20 Jun 2026 12:00:00 +0000', NOON],
    [`@${NOON}`, NOON],
  ])('reads %j as a date', (text, expected) => {
    expect(parseTalktoTimestamp(text)).toBe(expected);
  });

  it.each([
    [`${NOON}`, NOON],
    [`${NOON}.9`, NOON],
    [` ${NOON}`, NOON],
    [`${NOON} `, NOON],
    [`+${NOON}`, NOON],
    ['1.7819568e9', NOON],
    ['-5.5', -5],
  ])('casts the PHP numeric string %j to whole seconds', (text, expected) => {
    expect(parseTalktoTimestamp(text)).toBe(expected);
  });

  it('reads the shape senders write as the general ISO reading does, edge values included', () => {
    const shapes = [
      '2026-06-20T12:00:00+00:00',
      '2026-02-30T23:59:60-05:30',
      '1999-12-31T24:00:00+23:59',
      '2026-13-01T00:00:00+00:00',
      '2026-00-10T00:00:00+00:00',
      '2026-01-32T00:00:00+00:00',
      '2026-01-01T25:00:00+00:00',
      '2026-01-01T00:60:00+00:00',
      '2026-01-01T00:00:61+00:00',
      '2026-01-01T00:00:00+24:00',
      '2026-01-01T00:00:00-00:60',
      '0000-01-01T00:00:00+00:00',
    ];
    for (const text of shapes) {
      // A leading space keeps the text out of the direct reading: it goes the general way.
      expect([text, parseTalktoTimestamp(text)]).toEqual([text, parseTalktoTimestamp(` ${text}`)]);
    }
    expect(parseTalktoTimestamp('2026-06-20T12:00:00-02:30')).toBe(NOON + 9000);
  });

  it('rolls an out-of-range day over like PHP does', () => {
    expect(parseTalktoTimestamp('2026-02-30 00:00:00')).toBe(Date.UTC(2026, 2, 2) / 1000);
  });

  it.each([
    'not-a-date',
    '',
    '2026-13-01T00:00:00Z',
    '12:00',
    '0x10',
    'tomorrow',
    '2026-06-20T12:00:00+25:00',
  ])('refuses %j', (text) => {
    expect(parseTalktoTimestamp(text)).toBeNull();
  });
});

describe('isTimestampWithinTolerance', () => {
  it('is inclusive at the tolerance in both directions', () => {
    expect(isTimestampWithinTolerance(String(NOON - 300), NOON, 300)).toBe(true);
    expect(isTimestampWithinTolerance(String(NOON + 300), NOON, 300)).toBe(true);
    expect(isTimestampWithinTolerance(String(NOON - 301), NOON, 300)).toBe(false);
    expect(isTimestampWithinTolerance(String(NOON + 301), NOON, 300)).toBe(false);
  });

  it('never accepts an unparseable timestamp', () => {
    expect(isTimestampWithinTolerance('not-a-date', NOON, 1e9)).toBe(false);
  });
});

describe('formatTalktoTimestamp', () => {
  it('writes UTC with seconds precision and a +00:00 offset', () => {
    expect(formatTalktoTimestamp(new Date(Date.UTC(2026, 5, 20, 10, 15, 30, 999)))).toBe(
      '2026-06-20T10:15:30+00:00',
    );
  });

  it('round-trips through the parser', () => {
    const date = new Date(Date.UTC(2031, 0, 2, 3, 4, 5));
    expect(parseTalktoTimestamp(formatTalktoTimestamp(date))).toBe(date.getTime() / 1000);
  });
});
