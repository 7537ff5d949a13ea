import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource, type DataSourceOptions } from 'typeorm';
import { TALKTO_ENTITIES, TALKTO_MIGRATIONS } from '../../lib/index.js';
import { TalktoDeadLetterEntity } from '../../lib/persistence/entities/dead-letter.entity.js';
import { TalktoEventEntity } from '../../lib/persistence/entities/event.entity.js';
import { TalktoMessageEntity } from '../../lib/persistence/entities/message.entity.js';
import { createTestDatabase, type TestDatabase } from '../support/databases.js';
import { seedAttempt, seedDeadLetter, seedEvent, seedMessage } from '../operations/operations-fixtures.js';
import { buildCli, type CliBuild, runCli } from './run-cli.js';

const minutesAgo = (minutes: number) => new Date(Date.now() - minutes * 60_000);

let build: CliBuild;

beforeAll(async () => {
  build = await buildCli();
}, 180_000);

afterAll(async () => {
  await build?.remove();
});

describe.each(['sqlite', 'postgres'] as const)('talkto CLI as a child process on %s', (kind) => {
  let database: TestDatabase;
  let dataSource: DataSource;
  let env: Record<string, string>;
  const cli = (...args: string[]) => runCli(build, [...args, '--module', build.fixtureModule], env);
  const snapshot = async () =>
    JSON.stringify(await dataSource.getRepository(TalktoMessageEntity).find({ order: { id: 'ASC' } }));

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    dataSource = await new DataSource({
      ...database.options,
      entities: TALKTO_ENTITIES,
      migrations: TALKTO_MIGRATIONS,
    } as DataSourceOptions).initialize();
    await dataSource.runMigrations();
    env = { TALKTO_CLI_TEST_DB: JSON.stringify(database.options) };

    const order = await seedMessage(dataSource, {
      messageId: 'order-1',
      correlationId: 'corr-1',
      overallStatus: 'failed_final',
      lastError: 'HTTP 422 token=abc',
      createdAt: minutesAgo(30),
    });
    await seedAttempt(dataSource, order, { status: 'failed_final', httpStatus: 422 });
    await seedEvent(dataSource, order, { eventType: 'message_created' });
    await seedDeadLetter(dataSource, order);
    await seedMessage(dataSource, {
      messageId: 'cb-1',
      direction: 'incoming',
      parentMessageId: 'order-1',
      correlationId: 'corr-1',
      command: 'talkto.result',
      overallStatus: 'succeeded',
      createdAt: minutesAgo(29),
    });
    await seedMessage(dataSource, {
      messageId: 'order-2',
      overallStatus: 'failed_retryable',
      nextRetryAt: minutesAgo(1),
      createdAt: minutesAgo(10),
    });
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await database?.drop();
  });

  it('reports counts as JSON and as plain tables, changing nothing', async () => {
    const before = await snapshot();
    const json = await cli('report', '--json');
    expect(json.code).toBe(0);
    const report = JSON.parse(json.stdout);
    expect(report.totals).toMatchObject({ messages: 3, failed: 2, dueRetries: 1, openDeadLetters: 1 });
    expect(report.recentFailures[1]).toMatchObject({
      messageId: 'order-1',
      lastError: 'HTTP 422 token=[redacted]',
    });

    const human = await cli('report', '--direction=outgoing');
    expect(human.code).toBe(0);
    expect(human.stdout).toContain('Talkto report');
    expect(human.stdout).toContain('messages=2 incoming=0 outgoing=2');
    expect(human.stdout).toMatch(/billing\.create-invoice\s+outgoing\s+2\s+2\s+100%/);
    expect(human.stdout).not.toContain('\u001b['); // not a terminal: no colour
    expect(await snapshot()).toBe(before);
  });

  it('traces a message with its callback, and a correlation id', async () => {
    const byId = await cli('trace', 'order-1', '--json');
    expect(byId.code).toBe(0);
    const trace = JSON.parse(byId.stdout);
    expect(trace.callbacks.map((row: { messageId: string }) => row.messageId)).toEqual(['cb-1']);
    expect(trace.anchor.payload).toEqual({ redacted: true, keys: ['order_id', 'card'] });
    expect(trace.deadLetters).toHaveLength(1);

    const human = await cli('trace', '--correlation=corr-1', '--payload');
    expect(human.code).toBe(0);
    expect(human.stdout).toContain('anchor=order-1 direction=outgoing status=failed_final');
    expect(human.stdout).toContain('"token":"[redacted]"');
    expect(human.stdout).not.toContain('tok_live_123');

    const missing = await cli('trace', 'nope');
    expect(missing.code).toBe(1);
  });

  it('exits 2 when the audit finds something at or above --fail-on, 0 otherwise', async () => {
    const warning = await cli('security-audit', '--fail-on=warning');
    expect(warning.code).toBe(2);
    expect(warning.stdout).toContain('outgoing_target_short_secret');
    const critical = await cli('security-audit', '--fail-on=critical', '--json');
    expect(critical.code).toBe(0);
    expect(JSON.parse(critical.stdout).summary.severityCounts.warning).toBeGreaterThan(0);
    const production = await runCli(build, ['security-audit', '--json', '--module', build.fixtureModule], {
      ...env,
      NODE_ENV: 'production',
    });
    expect(JSON.parse(production.stdout).findings.map((f: { code: string }) => f.code)).toContain(
      'outgoing_target_without_tls',
    );
  });

  it('retries, reprocesses and prunes through the services; dry runs change nothing', async () => {
    const events = (type: string) =>
      dataSource.getRepository(TalktoEventEntity).countBy({ eventType: type, messageId: 'order-2' });
    const dry = await cli('retry-failed', '--dry-run', '--json');
    expect(dry.code).toBe(0);
    expect(JSON.parse(dry.stdout)).toMatchObject({ scanned: 1, eligible: 1, dispatched: 0, dryRun: true });
    expect(await events('retry_dispatched')).toBe(0);
    const retry = await cli('retry-failed', '--direction=outgoing');
    expect(retry.code).toBe(0);
    expect(retry.stdout).toContain('scanned=1 eligible=1 dispatched=1');
    expect(await events('retry_dispatched')).toBe(1);

    const reprocess = await cli('dlq-reprocess', '--message-id=order-1', '--json');
    expect(reprocess.code).toBe(0);
    expect(JSON.parse(reprocess.stdout)).toMatchObject({ scanned: 1, dispatched: 1 });
    const deadLetter = await dataSource
      .getRepository(TalktoDeadLetterEntity)
      .findOneByOrFail({ messageId: 'order-1' });
    expect(deadLetter.reprocessCount).toBe(1);

    const old = await seedMessage(dataSource, {
      messageId: 'ancient',
      overallStatus: 'completed',
      createdAt: minutesAgo(200 * 24 * 60),
    });
    const pruneDry = await cli('prune', '--type=messages', '--older-than=100d', '--dry-run');
    expect(pruneDry.stdout).toContain('Messages: 1 candidates');
    expect(await dataSource.getRepository(TalktoMessageEntity).countBy({ id: old.id })).toBe(1);
    const prune = await cli('prune', '--type=messages', '--older-than=100d');
    expect(prune.code).toBe(0);
    expect(prune.stdout).toContain('Messages deleted: 1');
    expect(await dataSource.getRepository(TalktoMessageEntity).countBy({ id: old.id })).toBe(0);

    const badPrune = await cli('prune', '--older-than=soon');
    expect(badPrune.code).toBe(1);
  });

  it('exits 1 on invalid usage without touching anything', async () => {
    const before = await snapshot();
    for (const args of [
      ['report', '--limit=0'],
      ['report', '--direction=sideways'],
      ['report', '--bogus'],
      ['security-audit', '--fail-on=info'],
      ['trace'],
      ['no-such-command'],
    ]) {
      const run = await cli(...args);
      expect({ args, code: run.code }).toEqual({ args, code: 1 });
      expect(run.stderr.length).toBeGreaterThan(0);
    }
    expect(await snapshot()).toBe(before);
  });
});
