/**
 * Run in a child process with `TZ` set (a test's own process keeps the zone it started with):
 * prints, for each instant given as an argument and both of node-postgres' date settings, the
 * text Talkto writes, the text node-postgres writes, and the local offset.
 */
import { createRequire } from 'node:module';
import { postgresTimestampText } from '../../../lib/persistence/statements/postgres-parameter-text.js';

const require = createRequire(import.meta.url);
const pg = require('pg') as { defaults: { parseInputDatesAsUTC?: boolean } };
const { prepareValue } = require('pg/lib/utils.js') as { prepareValue(value: unknown): unknown };

const rows = [];
for (const text of process.argv.slice(2)) {
  const date = new Date(text);
  for (const utc of [false, true]) {
    pg.defaults.parseInputDatesAsUTC = utc;
    rows.push({
      ours: postgresTimestampText({ postgres: pg }, date),
      pg: prepareValue(date),
      offset: date.getTimezoneOffset(),
    });
  }
}
process.stdout.write(JSON.stringify(rows));
