import type { TalktoMessageEntity } from '../entities/message.entity.js';

/** A backlog of this many rows still finds its rows here. */
const MAX_ROWS = 1024;
/** Payload text kept at most (UTF-16 code units, so about 8 MB); large payloads leave sooner. */
const MAX_PAYLOAD_CHARS = 4 * 1024 * 1024;

/**
 * Message rows as this process has just written them, kept until the next write of the same row
 * so that write need not read the row back (one statement and one row decode fewer): a row just
 * inserted until its first claim (by id), an outgoing row just marked sent until its result
 * callback (by message id). A kept row is only a guess: the next write's conditional update
 * restates it (id or message id, statuses and `updated_at`, which every ledger write sets), and a
 * write whose guess no longer matches reads the row and tries again. So a row rolled back with its
 * caller's transaction, or changed since (by another process), costs one statement, never a wrong
 * write. Oldest rows go first when full (a row written next by another process, or never, leaves
 * the cache that way).
 */
export class KnownRowCache<K extends number | string> {
  private readonly rows = new Map<K, TalktoMessageEntity>();
  private payloadChars = 0;

  constructor(private readonly keyOf: (row: TalktoMessageEntity) => K) {}

  remember(row: TalktoMessageEntity): void {
    const key = this.keyOf(row);
    this.take(key);
    // A copy: the caller keeps the returned row and may change it. Claims copy it again into an
    // entity, so a plain object does.
    this.rows.set(key, { ...row });
    this.payloadChars += row.payload?.length ?? 0;
    while (this.rows.size > MAX_ROWS || this.payloadChars > MAX_PAYLOAD_CHARS) {
      this.take(this.rows.keys().next().value!);
    }
  }

  /** The row as last written, once: the next write either builds on it or learns it was stale. */
  take(key: K): TalktoMessageEntity | undefined {
    const row = this.rows.get(key);
    if (row !== undefined) {
      this.rows.delete(key);
      this.payloadChars -= row.payload?.length ?? 0;
    }
    return row;
  }
}
