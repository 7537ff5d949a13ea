import { MessageStatus } from '../persistence/message.statuses.js';

/** List filters of BEHAVIOR §14; a value that cannot mean anything is dropped, never an error. */
export interface MessageFilters {
  direction?: 'incoming' | 'outgoing';
  status?: string;
  /** `completed`: overall succeeded or completed; `not_completed`: anything else, null included. */
  completionState?: 'completed' | 'not_completed';
  /** The peer: target of outgoing rows, source of incoming ones, either without a direction. */
  service?: string;
  command?: string;
  /** Substring of the message id; digits also match the database id. */
  messageId?: string;
  correlationId?: string;
  businessKey?: string;
  /** Substring of the idempotency key. */
  idempotencyKey?: string;
  from?: Date;
  to?: Date;
  page: number;
  /** `per_page`, clamped to 1..100; the panel's configured size when absent. */
  perPage?: number;
  /** A substring search looks at rows below this id only: where the previous search stopped. */
  before?: number;
}

const STATUSES = new Set<string>(Object.values(MessageStatus));
/** Longer than any stored column: such a value can only match nothing. */
const MAX_TEXT = 191;

function parseDate(value: string | undefined): Date | undefined {
  if (value === undefined) return undefined;
  // A date without a zone is read as UTC, the zone the panel prints.
  const time = Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(value) ? value : `${value}Z`);
  return Number.isNaN(time) ? undefined : new Date(time);
}

/** The filters from a query string; the §14 names and the panel's shorter ones both work. */
export function parseMessageFilters(raw: Record<string, unknown>): MessageFilters {
  const text = (...keys: string[]) => {
    for (const key of keys) {
      const value = raw[key];
      if (typeof value === 'string' && value.trim() !== '' && value.length <= MAX_TEXT) return value.trim();
    }
    return undefined;
  };
  const direction = text('direction');
  const status = text('status');
  const completion = text('completion_state', 'completionState');
  const page = Number(text('page') ?? 1);
  const perPage = Number(text('per_page') ?? NaN);
  const before = Number(text('before') ?? NaN);
  return {
    direction: direction === 'incoming' || direction === 'outgoing' ? direction : undefined,
    status: status !== undefined && STATUSES.has(status) ? status : undefined,
    completionState: completion === 'completed' || completion === 'not_completed' ? completion : undefined,
    service: text('service', 'peer'),
    command: text('command'),
    messageId: text('message_id'),
    correlationId: text('correlation_id'),
    businessKey: text('business_key'),
    idempotencyKey: text('idempotency_key'),
    from: parseDate(text('created_from', 'from')),
    to: parseDate(text('created_to', 'to')),
    page: Number.isSafeInteger(page) && page > 0 && page <= 100_000 ? page : 1,
    perPage: Number.isSafeInteger(perPage) ? Math.min(100, Math.max(1, perPage)) : undefined,
    before: Number.isSafeInteger(before) && before > 0 ? before : undefined,
  };
}

/** The query-string form of the filters, for the next page and the form's values. */
export function filterQuery(filters: MessageFilters): Record<string, string | undefined> {
  return {
    direction: filters.direction,
    status: filters.status,
    completion_state: filters.completionState,
    service: filters.service,
    command: filters.command,
    message_id: filters.messageId,
    correlation_id: filters.correlationId,
    business_key: filters.businessKey,
    idempotency_key: filters.idempotencyKey,
    created_from: filters.from?.toISOString(),
    created_to: filters.to?.toISOString(),
    per_page: filters.perPage === undefined ? undefined : String(filters.perPage),
    before: filters.before === undefined ? undefined : String(filters.before),
  };
}
