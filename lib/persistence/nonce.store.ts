import type { DataSource } from 'typeorm';
import { TalktoNonceEntity } from './entities/nonce.entity.js';
import { insertStandalone, isUniqueViolation } from './statements/index.js';

export interface ConsumeNonceInput {
  /** sha256 of `v2|source|target|nonce`; the raw nonce never reaches this store. */
  nonceHash: string;
  source: string;
  target: string;
  messageId: string | null;
  /** The raw X-Talkto-Timestamp header value. */
  signedTimestamp: string | null;
  now?: Date;
  /** Days to keep the row; ≤0 falls back to 7 like the PHP package. */
  retentionDays: number;
}

const DEFAULT_RETENTION_DAYS = 7;
const DAY_MS = 86_400_000;

/** The row that records a nonce; a used nonce fails its insert with the engine's unique violation. */
export function nonceRow(input: ConsumeNonceInput): Partial<TalktoNonceEntity> {
  const now = input.now ?? new Date();
  const days = input.retentionDays > 0 ? input.retentionDays : DEFAULT_RETENTION_DAYS;
  return {
    nonceHash: input.nonceHash,
    sourceService: input.source,
    targetService: input.target,
    messageId: input.messageId,
    signatureVersion: 'v2',
    signedTimestamp: input.signedTimestamp,
    usedAt: now,
    expiresAt: new Date(now.getTime() + days * DAY_MS),
    createdAt: now,
    updatedAt: now,
  };
}

/** The replay ledger for v2 nonces (BEHAVIOR §1.5): the unique hash is the check. */
export class NonceStore {
  constructor(private readonly dataSource: DataSource) {}

  /** True when the nonce is new and now recorded; false when it was used before. */
  async consume(input: ConsumeNonceInput): Promise<boolean> {
    try {
      await insertStandalone(this.dataSource, TalktoNonceEntity, nonceRow(input));
      return true;
    } catch (error) {
      if (isUniqueViolation(error)) return false;
      throw error;
    }
  }

  /** Whether a nonce with this hash is recorded. */
  isUsed(nonceHash: string): Promise<boolean> {
    return this.dataSource.manager.existsBy(TalktoNonceEntity, { nonceHash });
  }
}
