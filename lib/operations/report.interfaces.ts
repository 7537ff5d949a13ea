import type { MessageDirection } from '../persistence/entities/message.entity.js';

export type DirectionFilter = MessageDirection | 'all';

export interface ReportQuery {
  /** Window length ending now (default 24); ignored when `from` is given. */
  hours?: number;
  /** Window start (default now − hours). */
  from?: Date;
  /** Window end (default now). */
  to?: Date;
  /** Only one direction (default `all`). */
  direction?: DirectionFilter;
  /** Rows in the recent-failure and recent-event lists, 1..500 (default 20). */
  limit?: number;
}

/** Messages and failures of one group (a command or a peer). */
export interface GroupCount {
  name: string;
  direction: MessageDirection;
  total: number;
  failed: number;
  /** Percent of `total`, two decimals. */
  failureRate: number;
}

export interface RecentFailure {
  messageId: string;
  direction: string;
  command: string;
  peer: string;
  overallStatus: string;
  lastError: string | null;
  createdAt: Date | null;
}

export interface RecentEvent {
  messageId: string | null;
  eventType: string;
  oldStatus: string | null;
  newStatus: string | null;
  createdAt: Date | null;
}

/** Read-only summary of the Talkto tables over a time window (BEHAVIOR §11.3). */
export interface TalktoReport {
  window: { from: Date; to: Date };
  direction: DirectionFilter;
  totals: {
    messages: number;
    incoming: number;
    outgoing: number;
    succeeded: number;
    failed: number;
    retryable: number;
    finalFailed: number;
    processing: number;
    /** Retryable messages whose retry time has passed (not windowed). */
    dueRetries: number;
    /** Dead letters `open` or `failed_reprocess` (not windowed). */
    openDeadLetters: number;
  };
  successRate: number;
  failureRate: number;
  statusCounts: Record<string, number>;
  directionCounts: Record<string, number>;
  commandCounts: GroupCount[];
  peerCounts: GroupCount[];
  attemptStatusCounts: Record<string, number>;
  eventTypeCounts: Record<string, number>;
  deadLetterCounts: Record<string, number>;
  /** `ok` when no warning; warnings read `<name>=<count>`. */
  health: { ok: boolean; warnings: string[] };
  recentFailures: RecentFailure[];
  recentEvents: RecentEvent[];
}
