import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { TalktoEventEntity } from '../../lib/persistence/entities/event.entity.js';
import { asRow } from '../../lib/persistence/message-history.writer.js';
import {
  postgresArrayText,
  postgresTimestampText,
} from '../../lib/persistence/statements/postgres-parameter-text.js';
import { insertRow } from '../../lib/persistence/statements/row-statements.js';
import { type MigratedDatabase, openMigratedDatabase } from './migrated-database.js';

// node-postgres' own conversion, which these texts must equal.
const require = createRequire(import.meta.url);
const pg = require('pg') as { defaults: { parseInputDatesAsUTC?: boolean } };
const { prepareValue } = require('pg/lib/utils.js') as { prepareValue(value: unknown): unknown };
const driver = { postgres: pg };

const run = promisify(execFile);
const CHILD = fileURLToPath(new URL('./time-zone/timestamp-texts.child.ts', import.meta.url));
const ZONES = ['UTC', 'America/New_York', 'Asia/Kolkata', 'Pacific/Chatham', 'America/St_Johns'];
const INSTANTS = [
  '2026-03-08T06:59:59.999Z', // New York, the last millisecond before summer time
  '2026-03-08T07:00:00.000Z',
  '2026-11-01T05:30:00.005Z',
  '2026-12-31T23:59:59.050Z',
  '1000-01-01T12:00:00.000Z',
  '9999-12-31T10:00:00.700Z',
];

describe('parameters written as node-postgres would send them', () => {
  it.each(ZONES)('writes a date as node-postgres does in %s, local or UTC', async (timeZone) => {
    const { stdout } = await run(
      process.execPath,
      ['--import', '@swc-node/register/esm-register', CHILD, ...INSTANTS],
      { env: { ...process.env, TZ: timeZone } },
    );
    const rows = JSON.parse(stdout) as Array<{ ours: string; pg: string; offset: number }>;
    expect(rows).toHaveLength(INSTANTS.length * 2);
    for (const row of rows) {
      expect(row.ours).toBe(row.pg);
    }
    // The child really ran in that zone.
    expect(rows.some((row) => row.offset !== 0)).toBe(timeZone !== 'UTC');
  });

  it('leaves years it does not write, and invalid dates, to node-postgres', () => {
    for (const text of ['0999-12-31T00:00:00Z', '+010000-01-01T00:00:00Z', 'not a date']) {
      expect(postgresTimestampText(driver, new Date(text))).toBeUndefined();
    }
  });

  it('writes an array literal as node-postgres does', () => {
    const arrays: unknown[][] = [
      ['plain', '', 'NULL', 'with "quotes"', 'back\\slash', 'a,b', '{braces}', 'Zoë 寿司 🍵', ' spaced '],
      [1, -2.5, 0, 1e21, Number.MAX_SAFE_INTEGER, 12345678901234567890n, true, false],
      [null, undefined, 'x', null],
      [],
    ];
    for (const values of arrays) {
      expect(postgresArrayText(values)).toBe(prepareValue(values));
    }
  });

  it('leaves an array holding anything else to node-postgres', () => {
    expect(postgresArrayText(['x', new Date()])).toBeUndefined();
    expect(postgresArrayText([{ a: 1 }])).toBeUndefined();
    expect(postgresArrayText([['nested']])).toBeUndefined();
  });
});

describe('a date the ledger writes on PostgreSQL', () => {
  let db: MigratedDatabase;

  beforeAll(async () => {
    db = await openMigratedDatabase('postgres');
  });

  afterAll(async () => {
    await db?.close();
  });

  it('is stored as TypeORM stores the same date', async () => {
    const at = new Date('2026-06-01T10:15:30.250Z');
    const row = asRow<TalktoEventEntity>({
      messageId: 'tz-1',
      serviceName: 's',
      eventType: 'e',
      createdAt: at,
    });
    const ours = await insertRow(db.dataSource.manager, TalktoEventEntity, row);
    const typeorm = await db.dataSource.manager.insert(TalktoEventEntity, { ...row, messageId: 'tz-2' });
    const [stored] = (await db.dataSource.query(
      'SELECT a.created_at::text AS ours, b.created_at::text AS typeorm FROM talkto_events a, talkto_events b WHERE a.id = $1 AND b.id = $2',
      [ours, typeorm.identifiers[0]!.id],
    )) as Array<{ ours: string; typeorm: string }>;
    expect(stored!.ours).toBe(stored!.typeorm);
    const read = await db.dataSource.manager.findOneByOrFail(TalktoEventEntity, { id: ours });
    expect(read.createdAt!.toISOString()).toBe(at.toISOString());
  });
});
