export interface TraceQuery {
  /** Trace around this message (its callbacks, its parent and its correlation group). */
  messageId?: string;
  /** Trace a whole correlation group; the earliest message is the anchor. */
  correlationId?: string;
  /** Rows per section and in the timeline, 1..500 (default 100). */
  limit?: number;
  /** Show redacted payload values instead of only their keys (default `false`). */
  includePayload?: boolean;
}

/** A message as operators see it: statuses and links, payload hidden or redacted. */
export interface TracedMessage {
  id: number;
  messageId: string;
  correlationId: string | null;
  parentMessageId: string | null;
  direction: string;
  sourceService: string;
  targetService: string;
  command: string;
  businessKey: string | null;
  idempotencyKey: string | null;
  overallStatus: string;
  transportStatus: string | null;
  destinationReceiveStatus: string | null;
  destinationActionStatus: string | null;
  attempts: number;
  retryCount: number;
  maxAttempts: number;
  nextRetryAt: Date | null;
  lastHttpStatus: number | null;
  lastError: string | null;
  payloadHash: string | null;
  payload: unknown;
  createdAt: Date | null;
  sentAt: Date | null;
  receivedAt: Date | null;
  processingStartedAt: Date | null;
  completedAt: Date | null;
  failedAt: Date | null;
}

export interface TracedAttempt {
  id: number;
  messageId: string | null;
  stage: string;
  attemptNo: number;
  status: string;
  httpStatus: number | null;
  errorClass: string | null;
  errorMessage: string | null;
  requestExcerpt: string | null;
  responseExcerpt: string | null;
  meta: unknown;
  createdAt: Date | null;
}

export interface TracedEvent {
  id: number;
  messageId: string | null;
  serviceName: string;
  eventType: string;
  oldStatus: string | null;
  newStatus: string | null;
  meta: unknown;
  createdAt: Date | null;
}

export interface TracedDeadLetter {
  id: number;
  messageId: string | null;
  direction: string | null;
  command: string | null;
  status: string;
  failedStatus: string | null;
  failureReason: string | null;
  exceptionClass: string | null;
  exceptionMessage: string | null;
  reprocessCount: number;
  headers: '[redacted]' | null;
  payload: unknown;
  createdAt: Date | null;
}

export interface TimelineEntry {
  at: Date;
  messageId: string | null;
  kind: 'message' | 'attempt' | 'event' | 'dead_letter';
  /** What happened, e.g. `created`, `sent`, `attempt sent`, `event message_sent`. */
  label: string;
}

/** Everything stored about one message or correlation group, read-only (BEHAVIOR §11.4). */
export interface TalktoTrace {
  found: boolean;
  query: { messageId: string | null; correlationId: string | null };
  anchor: TracedMessage | null;
  correlationId: string | null;
  messages: TracedMessage[];
  /** Result callbacks of the anchor: rows whose parent is the traced message id. */
  callbacks: TracedMessage[];
  attempts: TracedAttempt[];
  events: TracedEvent[];
  deadLetters: TracedDeadLetter[];
  timeline: TimelineEntry[];
  /** True when a section or the timeline was cut at `limit`. */
  truncated: boolean;
  limit: number;
}
