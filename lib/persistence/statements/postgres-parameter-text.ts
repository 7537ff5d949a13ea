/**
 * Parameters written as the text node-postgres would send for them, so it passes them on as they
 * are. Its own conversion runs for every value of every statement: a batch of chains sends each
 * of its values inside array parameters, where a date was formatted piece by piece and every
 * element escaped by two regular-expression passes (about 4% of the bench's Node CPU). Values
 * outside the common cases are left for node-postgres to convert.
 */

/** The part of TypeORM's PostgreSQL driver that says how node-postgres writes dates. */
export interface PostgresDriverLike {
  postgres?: { defaults?: { parseInputDatesAsUTC?: boolean } };
}

/**
 * What node-postgres sends for `date`: local time with its offset, or UTC when the host set
 * `pg.defaults.parseInputDatesAsUTC`. Undefined outside years 1000–9999 (and for an invalid date).
 */
export function postgresTimestampText(driver: PostgresDriverLike, date: Date): string | undefined {
  const utc = driver.postgres?.defaults?.parseInputDatesAsUTC === true;
  const year = utc ? date.getUTCFullYear() : date.getFullYear();
  if (!(year >= 1000 && year <= 9999)) return undefined;
  const milliseconds = utc ? date.getUTCMilliseconds() : date.getMilliseconds();
  const text =
    `${year}-${twoDigits((utc ? date.getUTCMonth() : date.getMonth()) + 1)}` +
    `-${twoDigits(utc ? date.getUTCDate() : date.getDate())}` +
    `T${twoDigits(utc ? date.getUTCHours() : date.getHours())}` +
    `:${twoDigits(utc ? date.getUTCMinutes() : date.getMinutes())}` +
    `:${twoDigits(utc ? date.getUTCSeconds() : date.getSeconds())}` +
    `.${milliseconds < 10 ? '00' : milliseconds < 100 ? '0' : ''}${milliseconds}`;
  if (utc) return `${text}+00:00`;
  const offset = -date.getTimezoneOffset();
  const minutes = Math.abs(offset);
  return `${text}${offset < 0 ? '-' : '+'}${twoDigits(Math.floor(minutes / 60))}:${twoDigits(minutes % 60)}`;
}

function twoDigits(value: number): string {
  return value < 10 ? `0${value}` : `${value}`;
}

/** What an array element's quoting escapes. */
const ESCAPED = /[\\"]/g;

/**
 * The array literal node-postgres writes for a one-dimensional array of strings, numbers, bigints,
 * booleans and nulls (every element quoted, `\` and `"` escaped); undefined when another kind of
 * value is in it.
 */
export function postgresArrayText(values: readonly unknown[]): string | undefined {
  let text = '{';
  for (let i = 0; i < values.length; i++) {
    if (i > 0) text += ',';
    const value = values[i];
    if (value === null || value === undefined) {
      text += 'NULL';
      continue;
    }
    switch (typeof value) {
      case 'string':
        text += `"${value.includes('\\') || value.includes('"') ? value.replace(ESCAPED, '\\$&') : value}"`;
        break;
      case 'number':
      case 'bigint':
      case 'boolean':
        text += `"${String(value)}"`;
        break;
      default:
        return undefined;
    }
  }
  return `${text}}`;
}
