/**
 * Bulk-fills a migrated Talkto database with `rows` messages in one statement per table (no
 * round trip per row): a month of traffic, mostly finished, with a realistic tail of due and
 * future retries, failures, dead letters, in-flight and stale claims, callbacks and correlation
 * groups. One attempt and one event per message, one nonce per incoming message.
 */
import type { DataSource } from 'typeorm';

export type FillEngine = 'postgres' | 'mariadb';

/** Per 10,000 messages, by `g % 10000` (the rest are finished). */
export const SHAPE = {
  failedFinal: 20,
  dueRetries: 5,
  futureRetries: 5,
} as const;
/** The newest rows are in flight: waiting for a job, claimed, or claimed by a dead worker. */
export const IN_FLIGHT = { waiting: 40, held: 40, stale: 10 } as const;

interface Dialect {
  series(rows: number): string;
  /** A timestamp `seconds` after the start of the month the rows span (may be an SQL expression). */
  at(seconds: string): string;
  concat(...parts: string[]): string;
  div(a: string, b: number): string;
}

const DIALECTS: Record<FillEngine, Dialect> = {
  postgres: {
    series: (rows) => `generate_series(1, ${rows}) AS s(g)`,
    at: (seconds) => `(localtimestamp - interval '30 days' + (${seconds}) * interval '1 second')`,
    concat: (...parts) => parts.map((part) => `(${part})::text`).join(' || '),
    div: (a, b) => `(${a}) / ${b}`,
  },
  mariadb: {
    series: (rows) => `(SELECT seq AS g FROM seq_1_to_${rows}) AS s`,
    at: (seconds) => `(NOW(3) - INTERVAL 30 DAY + INTERVAL (${seconds}) SECOND)`,
    concat: (...parts) => `CONCAT(${parts.join(', ')})`,
    div: (a, b) => `(${a}) DIV ${b}`,
  },
};

export async function fillMessages(dataSource: DataSource, engine: FillEngine, rows: number): Promise<void> {
  const d = DIALECTS[engine];
  const month = 30 * 86_400;
  const created = d.at(`g * ${month / rows}`);
  const inFlight = IN_FLIGHT.waiting + IN_FLIGHT.held + IN_FLIGHT.stale;
  const slot = 'g % 10000';
  const fromEnd = `(${rows} - g)`;
  // Newest first: waiting, held (lease running), stale (lease ran out); older rows by slot.
  const status = `CASE
      WHEN ${fromEnd} < ${IN_FLIGHT.waiting} THEN CASE WHEN g % 2 = 0 THEN 'waiting_to_send' ELSE 'queued' END
      WHEN ${fromEnd} < ${inFlight} THEN CASE WHEN g % 2 = 0 THEN 'sending' ELSE 'processing' END
      WHEN ${slot} < ${SHAPE.failedFinal} THEN 'failed_final'
      WHEN ${slot} < ${SHAPE.failedFinal + SHAPE.dueRetries + SHAPE.futureRetries} THEN 'failed_retryable'
      WHEN g % 2 = 0 THEN 'completed' ELSE 'succeeded' END`;
  const held = `${fromEnd} >= ${IN_FLIGHT.waiting} AND ${fromEnd} < ${inFlight}`;
  const stale = `${fromEnd} >= ${IN_FLIGHT.waiting + IN_FLIGHT.held} AND ${fromEnd} < ${inFlight}`;
  const retrySlot = `${slot} >= ${SHAPE.failedFinal} AND ${slot} < ${SHAPE.failedFinal + SHAPE.dueRetries + SHAPE.futureRetries}`;
  const dueSlot = `${slot} < ${SHAPE.failedFinal + SHAPE.dueRetries}`;
  const peer = `CASE WHEN g % 4 = 0 THEN 'billing' ELSE 'website' END`;
  await dataSource.query(`
    INSERT INTO talkto_messages (message_id, correlation_id, parent_message_id, direction, source_service,
      target_service, command, payload, payload_hash, overall_status, transport_status, destination_action_status,
      attempts, next_retry_at, locked_at, locked_by, locked_until, created_at, updated_at)
    SELECT ${d.concat(`'m-'`, 'g')},
      CASE WHEN g % 3 = 0 THEN ${d.concat(`'c-'`, d.div('g', 6))} ELSE NULL END,
      CASE WHEN g % 10 = 5 THEN ${d.concat(`'m-'`, 'g - 1')} ELSE NULL END,
      CASE WHEN g % 2 = 0 THEN 'outgoing' ELSE 'incoming' END,
      CASE WHEN g % 2 = 0 THEN 'inventory' ELSE ${peer} END,
      CASE WHEN g % 2 = 0 THEN ${peer} ELSE 'inventory' END,
      ${d.concat(`'cmd.'`, 'g % 20')}, '{"orderId":"o-1","quantity":3}', 'sha256:0', ${status},
      CASE WHEN g % 2 = 0 THEN 'sent' ELSE NULL END, CASE WHEN g % 2 = 1 THEN 'succeeded' ELSE NULL END, 1,
      CASE WHEN ${retrySlot} THEN CASE WHEN ${dueSlot} THEN ${d.at(`g * ${month / rows}`)} ELSE ${d.at(`${month} + 3600`)} END ELSE NULL END,
      CASE WHEN ${held} THEN ${created} ELSE NULL END,
      CASE WHEN ${held} THEN 'worker-1' ELSE NULL END,
      CASE WHEN ${stale} THEN ${d.at(`${month} - 600`)} WHEN ${held} THEN ${d.at(`${month} + 600`)} ELSE NULL END,
      ${created}, ${created}
    FROM ${d.series(rows)}`);
  await dataSource.query(`
    INSERT INTO talkto_attempts (talkto_message_id, message_id, stage, attempt_no, status, duration_ms, created_at, updated_at)
    SELECT g, ${d.concat(`'m-'`, 'g')}, 'send', 1, 'succeeded', 12, ${created}, ${created} FROM ${d.series(rows)}`);
  await dataSource.query(`
    INSERT INTO talkto_events (talkto_message_id, message_id, service_name, event_type, old_status, new_status, created_at, updated_at)
    SELECT g, ${d.concat(`'m-'`, 'g')}, 'inventory', 'status_changed', 'sending', 'sent', ${created}, ${created} FROM ${d.series(rows)}`);
  await dataSource.query(`
    INSERT INTO talkto_dead_letters (talkto_message_id, message_id, direction, source, target, command, status, created_at, updated_at)
    SELECT g, ${d.concat(`'m-'`, 'g')}, 'outgoing', 'inventory', 'website', 'cmd.1',
      CASE WHEN g % 7 = 0 THEN 'open' ELSE 'ignored' END, ${created}, ${created}
    FROM ${d.series(rows)} WHERE ${slot} < ${SHAPE.failedFinal}`);
  await dataSource.query(`
    INSERT INTO talkto_nonces (nonce_hash, source_service, target_service, message_id, used_at, expires_at, created_at, updated_at)
    SELECT ${d.concat(`'n-'`, 'g')}, ${peer}, 'inventory', ${d.concat(`'m-'`, 'g')}, ${created},
      ${d.at(`g * ${month / rows} + 86400`)}, ${created}, ${created}
    FROM ${d.series(rows)} WHERE g % 2 = 1`);
}
