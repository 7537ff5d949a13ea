import type { TalktoMessageEntity } from '../entities/message.entity.js';

/** A backlog of this many messages waiting for their first claim still finds its rows here. */
const MAX_ROWS = 1024;
/** Payload text kept at most (UTF-16 code units, so about 8 MB); large payloads leave sooner. */
const MAX_PAYLOAD_CHARS = 4 * 1024 * 1024;

/**
 * Message rows this process has just inserted, kept until their first claim so the claim need
 * not read the row back (one statement and one row decode fewer per message). A kept row is only
 * a guess: the claim's conditional update restates it (id, message id, status, counters and
 * `updated_at`, which every ledger write sets), and a claim whose guess no longer matches reads
 * the row and tries again. So a row rolled back with its caller's transaction, or changed since,
 * costs one statement, never a wrong claim. Oldest rows go first when full (a message claimed by
 * another process, or never claimed, leaves the cache that way).
 */
export class InsertedRowCache {
  private readonly rows = new Map<number, TalktoMessageEntity>();
  private payloadChars = 0;

  remember(row: TalktoMessageEntity): void {
    this.take(row.id);
    // A copy: the caller keeps the returned row and may change it. Claims copy it again into an
    // entity, so a plain object does.
    this.rows.set(row.id, { ...row });
    this.payloadChars += row.payload?.length ?? 0;
    while (this.rows.size > MAX_ROWS || this.payloadChars > MAX_PAYLOAD_CHARS) {
      this.take(this.rows.keys().next().value!);
    }
  }

  /** The row as inserted, once: a claim either takes it or learns it was stale. */
  take(id: number): TalktoMessageEntity | undefined {
    const row = this.rows.get(id);
    if (row !== undefined) {
      this.rows.delete(id);
      this.payloadChars -= row.payload?.length ?? 0;
    }
    return row;
  }
}
