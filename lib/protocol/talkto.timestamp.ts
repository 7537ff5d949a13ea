/**
 * The signed timestamp header: how a PHP receiver reads it (a numeric string, else `strtotime`)
 * and how we write it. Only the absolute shapes a peer really sends are understood; PHP's
 * relative phrases ("+1 day", "now") are refused, which only makes us stricter.
 */

// PHP "numeric string": optional surrounding whitespace, sign, digits with an optional point, exponent.
const PHP_NUMERIC = /^[ \t\n\r\v\f]*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?[ \t\n\r\v\f]*$/;
const AT_UNIX = /^@([+-]?\d+)(?:\.\d+)?$/;
const ISO =
  /^(\d{4})-(\d{1,2})-(\d{1,2})(?:[Tt ]+(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,]\d+)?)?)?\s*(Z|UTC|GMT|[+-]\d{1,2}(?::?\d{2})?)?$/i;
const RFC_2822 =
  /^(?:[a-z]{3,9},?\s+)?(\d{1,2})[\s-]+([a-z]{3,9})[\s-]+(\d{2,4})\s+(\d{1,2}):(\d{2})(?::(\d{2}))?\s*(Z|UT|UTC|GMT|[+-]\d{2}:?\d{2})?$/i;
const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

/** Offset in seconds east of UTC for `Z`, `UTC`, `GMT`, `+03:30`, `+0330`, `+03`; absent means UTC. */
function offsetSeconds(zone: string | undefined): number | null {
  if (zone === undefined || /^(z|ut|utc|gmt)$/i.test(zone)) {
    return 0;
  }
  const match = /^([+-])(\d{1,2}):?(\d{2})?$/.exec(zone);
  return match ? zoneOffset(match[1], Number(match[2]), Number(match[3] ?? '0')) : null;
}

function zoneOffset(sign: string, hours: number, minutes: number): number | null {
  if (hours > 23 || minutes > 59) {
    return null;
  }
  return (sign === '-' ? -1 : 1) * (hours * 3600 + minutes * 60);
}

/** Calendar fields to Unix seconds; out-of-range days roll over as PHP's parser does (Feb 30 → Mar 2). */
function civilToUnix(
  year: number,
  month: number,
  day: number,
  hour: number,
  minute: number,
  second: number,
  offset: number | null,
): number | null {
  if (
    offset === null ||
    month < 1 ||
    month > 12 ||
    day < 1 ||
    day > 31 ||
    hour > 24 ||
    minute > 59 ||
    second > 60
  ) {
    return null;
  }
  const utc = Date.UTC(year, month - 1, day, hour, minute, second);
  return utc / 1000 - offset;
}

/** Positions of the separators in what senders write: `2024-06-11T10:15:30+00:00`. */
const WRITTEN_SEPARATORS: ReadonlyArray<[number, string]> = [
  [4, '-'],
  [7, '-'],
  [10, 'T'],
  [13, ':'],
  [16, ':'],
  [22, ':'],
];

/**
 * The shape senders write (`formatTalktoTimestamp`, PHP's `toIso8601String()`) read directly,
 * giving what the ISO branch below gives for it; `undefined` for any other text.
 */
function readWrittenShape(text: string): number | null | undefined {
  const sign = text.charCodeAt(19);
  if (text.length !== 25 || (sign !== 0x2b && sign !== 0x2d)) {
    return undefined;
  }
  for (const [at, separator] of WRITTEN_SEPARATORS) {
    if (text[at] !== separator) return undefined;
  }
  const digits = (from: number, to: number): number => {
    let value = 0;
    for (let i = from; i < to; i++) {
      const digit = text.charCodeAt(i) - 0x30;
      if (digit < 0 || digit > 9) return NaN;
      value = value * 10 + digit;
    }
    return value;
  };
  const parts = [digits(0, 4), digits(5, 7), digits(8, 10), digits(11, 13), digits(14, 16), digits(17, 19)];
  const [offsetHours, offsetMinutes] = [digits(20, 22), digits(23, 25)];
  if (parts.some(Number.isNaN) || Number.isNaN(offsetHours) || Number.isNaN(offsetMinutes)) {
    return undefined;
  }
  const [year, month, day, hour, minute, second] = parts;
  return civilToUnix(
    year,
    month,
    day,
    hour,
    minute,
    second,
    zoneOffset(text[19], offsetHours, offsetMinutes),
  );
}

/**
 * Reads a timestamp header as Unix seconds the way a PHP peer does, or `null` when it cannot be
 * parsed (which the verifier treats as outside tolerance). Numeric strings are cast to an
 * integer (fraction truncated); otherwise ISO-8601 (`Z`/offset, optional fraction, `T` or space;
 * no zone means UTC), RFC 2822 / HTTP-date and `@<unix>` are understood.
 */
export function parseTalktoTimestamp(text: string): number | null {
  const written = readWrittenShape(text);
  if (written !== undefined) {
    return written;
  }
  if (PHP_NUMERIC.test(text)) {
    return Math.trunc(Number(text.trim()));
  }
  const trimmed = text.trim();
  const at = AT_UNIX.exec(trimmed);
  if (at) {
    return Number(at[1]);
  }
  const iso = ISO.exec(trimmed);
  if (iso) {
    return civilToUnix(
      Number(iso[1]),
      Number(iso[2]),
      Number(iso[3]),
      Number(iso[4] ?? '0'),
      Number(iso[5] ?? '0'),
      Number(iso[6] ?? '0'),
      offsetSeconds(iso[7]),
    );
  }
  const rfc = RFC_2822.exec(trimmed);
  if (rfc) {
    const month = MONTHS.indexOf(rfc[2].slice(0, 3).toLowerCase());
    let year = Number(rfc[3]);
    if (rfc[3].length === 2) {
      year += year < 70 ? 2000 : 1900;
    }
    if (month < 0) {
      return null;
    }
    return civilToUnix(
      year,
      month + 1,
      Number(rfc[1]),
      Number(rfc[4]),
      Number(rfc[5]),
      Number(rfc[6] ?? '0'),
      offsetSeconds(rfc[7]),
    );
  }
  return null;
}

/** `|now − ts| <= tolerance`, inclusive; an unparseable timestamp is never within tolerance. */
export function isTimestampWithinTolerance(text: string, nowUnix: number, toleranceSeconds: number): boolean {
  const seconds = parseTalktoTimestamp(text);
  return seconds !== null && Math.abs(nowUnix - seconds) <= toleranceSeconds;
}

/** The sender's timestamp header: `YYYY-MM-DDTHH:MM:SS+00:00`, seconds precision, UTC. */
export function formatTalktoTimestamp(date: Date): string {
  return `${date.toISOString().slice(0, 19)}+00:00`;
}
