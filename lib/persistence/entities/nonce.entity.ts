import { Column, Entity, Index } from 'typeorm';
import { TALKTO_TABLES } from '../persistence.constants.js';
import { IdColumn } from './id-column.util.js';
import { TimestampColumn } from './timestamp-column.util.js';

/** A consumed v2 nonce, stored only as a hash (BEHAVIOR §1.5). */
@Entity(TALKTO_TABLES.nonces)
export class TalktoNonceEntity {
  @IdColumn(TALKTO_TABLES.nonces)
  id!: number;

  /** sha256 hex of `v2|source|target|nonce`; its uniqueness is the replay check. */
  @Index('talkto_nonces_nonce_hash_unique', { unique: true })
  @Column({ name: 'nonce_hash', type: 'varchar', length: 64 })
  nonceHash!: string;

  @Column({ name: 'source_service', type: 'varchar', length: 80 })
  sourceService!: string;

  @Column({ name: 'target_service', type: 'varchar', length: 80 })
  targetService!: string;

  @Column({ name: 'message_id', type: 'varchar', length: 100, nullable: true })
  messageId!: string | null;

  @Column({ name: 'signature_version', type: 'varchar', length: 10, default: 'v2' })
  signatureVersion!: string;

  /** The raw X-Talkto-Timestamp header value as signed. */
  @Column({ name: 'signed_timestamp', type: 'varchar', length: 191, nullable: true })
  signedTimestamp!: string | null;

  @TimestampColumn('used_at')
  usedAt!: Date | null;

  @TimestampColumn('expires_at')
  expiresAt!: Date | null;

  @TimestampColumn('created_at')
  createdAt!: Date | null;

  @TimestampColumn('updated_at')
  updatedAt!: Date | null;
}
