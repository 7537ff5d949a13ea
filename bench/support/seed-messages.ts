import type { DataSource, QueryRunner } from 'typeorm';

export const OUTGOING_PEERS = ['ledger', 'billing', 'mailer', 'search'];
export const INCOMING_PEERS = ['inventory', 'billing', 'website'];

export interface SeedOptions {
  /** Messages to write. */
  count: number;
  /** How many of them, newest first, get their attempt and events. */
  historyRows: number;
  /** The app's own service: the sender of the outgoing rows, the target of the incoming ones. */
  service: string;
  /** Event types each of those messages gets, a second apart (default `message_created`, `message_sent`). */
  events?: readonly string[];
  /** Half the retryable failures are due (false: all wait 40 days, as after a sweeper that kept up). */
  dueRetries: boolean;
}

/**
 * PostgreSQL rows as the pipelines leave them, written in bulk by `generate_series`: `count`
 * messages spread evenly over the last 30 days (about 23 a minute for a million), half outgoing to
 * four peers, half incoming from three. Per hundred: 85 succeeded or completed, 6 waiting for the
 * peer's result, 4 failed retryably (half of them due unless `dueRetries` is false), 3 failed for
 * good, 2 handling; with one attempt and its `events` for the newest `historyRows` and a dead letter for
 * each final failure (one in ten still open). No row holds a claim or waits for a job. Row
 * numbers run newest first, so the highest ids hold the oldest rows.
 */
export async function seedMessages(dataSource: DataSource, options: SeedOptions): Promise<void> {
  // One connection throughout, so the session setting below holds for every index build.
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    await runner.query(`SET maintenance_work_mem = '256MB'`);
    await fill(runner, options);
  } finally {
    await runner.release();
  }
}

async function fill(db: QueryRunner, options: SeedOptions): Promise<void> {
  const { count, historyRows } = options;
  const events = (options.events ?? ['message_created', 'message_sent'])
    .map((kind, step) => `('${kind}', ${step})`)
    .join(', ');
  const service = `'${options.service.replace(/'/g, "''")}'`;
  const retryDelay = options.dueRetries
    ? `CASE WHEN r % 2 = 0 THEN interval '1 minute' ELSE interval '40 days' END`
    : `interval '40 days'`;
  // A million rows go in several times faster with the indexes built afterwards, in one pass each;
  // the constraints' indexes stay (the history is read back through the primary key).
  const indexes = (await db.query(`
    SELECT i.indexname, i.indexdef FROM pg_indexes i
    WHERE i.tablename IN ('talkto_messages', 'talkto_attempts', 'talkto_events', 'talkto_dead_letters')
      AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)`)) as Array<{
    indexname: string;
    indexdef: string;
  }>;
  for (const { indexname } of indexes) await db.query(`DROP INDEX "${indexname}"`);
  const outgoing = `ARRAY[${OUTGOING_PEERS.map((p) => `'${p}'`).join(',')}]`;
  const incoming = `ARRAY[${INCOMING_PEERS.map((p) => `'${p}'`).join(',')}]`;
  await db.query(`
    INSERT INTO talkto_messages (
      message_id, correlation_id, parent_message_id, direction, source_service, target_service, command,
      business_key, idempotency_key, payload, payload_hash, overall_status, transport_status,
      destination_receive_status, destination_action_status, attempts, retry_count, max_attempts,
      next_retry_at, sent_at, received_at, completed_at, failed_at, last_error, created_at, updated_at)
    SELECT
      md5(i::text)::uuid::text,
      'corr-' || (i / 3),
      NULL,
      CASE WHEN outgoing THEN 'outgoing' ELSE 'incoming' END,
      CASE WHEN outgoing THEN ${service} ELSE (${incoming})[1 + i % 3] END,
      CASE WHEN outgoing THEN (${outgoing})[1 + (i / 2) % 4] ELSE ${service} END,
      (ARRAY['order.place','order.cancel','stock.reserve','stock.release','invoice.create',
             'invoice.pay','mail.send','search.index','customer.update','talkto.result'])[1 + (i / 7) % 10],
      'order-' || (i % 50000),
      'idem-' || i,
      '{"orderId":' || i || ',"lines":[{"sku":"A-' || (i % 997) || '","quantity":2}]}',
      md5(i::text),
      status,
      CASE WHEN outgoing AND status <> 'processing' THEN 'sent' END,
      CASE WHEN outgoing AND status IN ('completed', 'destination_received') THEN 'received' END,
      CASE WHEN status IN ('completed', 'succeeded') THEN 'succeeded' END,
      CASE WHEN status = 'failed_final' THEN 5 ELSE 1 END,
      CASE WHEN status IN ('failed_retryable', 'failed_final') THEN 1 ELSE 0 END,
      5,
      CASE WHEN status = 'failed_retryable'
        THEN created + ${retryDelay} END,
      CASE WHEN outgoing AND status IN ('completed', 'destination_received') THEN created + (r * 7 + 20) * interval '1 millisecond' END,
      CASE WHEN NOT outgoing THEN created END,
      CASE WHEN status IN ('completed', 'succeeded') THEN created + (r * 90 + 300) * interval '1 millisecond' END,
      CASE WHEN status LIKE 'failed%' THEN created + interval '2 seconds' END,
      CASE WHEN status LIKE 'failed%' THEN 'peer answered 503' END,
      created,
      created + interval '2 seconds'
    FROM (
      SELECT i, outgoing, r, created,
        CASE
          WHEN r < 85 THEN CASE WHEN outgoing THEN 'completed' ELSE 'succeeded' END
          WHEN r < 91 THEN CASE WHEN outgoing THEN 'destination_received' ELSE 'succeeded' END
          WHEN r < 95 THEN 'failed_retryable'
          WHEN r < 98 THEN 'failed_final'
          ELSE CASE WHEN outgoing THEN 'destination_received' ELSE 'processing' END
        END AS status
      FROM (
        SELECT i, i % 2 = 0 AS outgoing, abs(hashtext(i::text) % 100) AS r,
          (now() AT TIME ZONE 'UTC') - (i::double precision / ${count}) * interval '30 days' AS created
        FROM generate_series(1, ${count}) AS i
      ) numbered
    ) shaped`);
  await db.query(`
    INSERT INTO talkto_attempts (talkto_message_id, message_id, stage, attempt_no, status, http_status, duration_ms, created_at, updated_at)
    SELECT id, message_id, CASE WHEN direction = 'outgoing' THEN 'send' ELSE 'destination_processor' END, 1,
      CASE WHEN overall_status IN ('completed', 'destination_received') THEN 'sent' ELSE overall_status END,
      CASE WHEN direction = 'outgoing' THEN 202 END, 40, created_at + interval '20 milliseconds', created_at
    FROM talkto_messages ORDER BY id LIMIT ${historyRows}`);
  await db.query(`
    INSERT INTO talkto_events (talkto_message_id, message_id, service_name, event_type, old_status, new_status, created_at, updated_at)
    SELECT id, message_id, ${service}, kind, NULL, overall_status, created_at + step * interval '1 second', created_at
    FROM (SELECT * FROM talkto_messages ORDER BY id LIMIT ${historyRows}) m,
      (VALUES ${events}) AS e(kind, step)`);
  await db.query(`
    INSERT INTO talkto_dead_letters (talkto_message_id, message_id, direction, source, target, command, payload,
      failure_reason, failed_status, original_retry_count, reprocess_count, status, created_at, updated_at)
    SELECT id, message_id, direction, source_service, target_service, command, payload, 'peer answered 503',
      'failed_final', 1, 0, CASE WHEN id % 10 = 0 THEN 'open' ELSE 'reprocessed' END,
      failed_at, failed_at + interval '1 hour'
    FROM talkto_messages WHERE overall_status = 'failed_final'`);
  for (const { indexdef } of indexes) await db.query(indexdef);
  // What autovacuum does after a bulk insert: statistics, and the visibility map that lets a count
  // be answered from an index alone.
  await db.query('VACUUM ANALYZE');
}
