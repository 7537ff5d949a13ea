import type { TalktoAttemptEntity } from '../persistence/entities/attempt.entity.js';
import type { TalktoEventEntity } from '../persistence/entities/event.entity.js';
import type { TalktoMessageEntity } from '../persistence/entities/message.entity.js';
import { outcomeOf } from './overview.queries.js';

export type TimelineTone = 'ok' | 'failed' | 'info';

export interface TimelinePoint {
  at: Date;
  what: string;
  tone: TimelineTone;
}

export interface TimelineLane {
  label: string;
  /** Where the lane's label links, relative to the panel's base. */
  href?: string;
  points: TimelinePoint[];
}

const FAILED_EVENT = /failed|rejected|dead_letter(ed)?$|stale/;
const OK_EVENT = /sent|applied|succeeded|completed|received|reprocessed|dispatched/;

function eventTone(type: string): TimelineTone {
  if (FAILED_EVENT.test(type)) return 'failed';
  return OK_EVENT.test(type) ? 'ok' : 'info';
}

function statusTone(status: string): TimelineTone {
  const outcome = outcomeOf(status);
  return outcome === 'succeeded' ? 'ok' : outcome === 'failed' ? 'failed' : 'info';
}

const point = (at: Date | null | undefined, what: string, tone: TimelineTone): TimelinePoint[] =>
  at ? [{ at, what, tone }] : [];

const messagePath = (messageId: string) => `/messages/${encodeURIComponent(messageId)}`;

/**
 * One message's life in lanes: its own events, each attempt with the peer's answer, and the result
 * callback (the callback events here, or the callback messages this service sends about it).
 */
export function messageLanes(
  message: TalktoMessageEntity,
  attempts: TalktoAttemptEntity[],
  events: TalktoEventEntity[],
  callbacks: TalktoMessageEntity[],
): TimelineLane[] {
  const isCallbackEvent = (event: TalktoEventEntity) => event.eventType.startsWith('result_callback_');
  const lifecycle: TimelinePoint[] = [
    ...point(message.createdAt, 'stored', 'info'),
    ...events
      .filter((event) => !isCallbackEvent(event))
      .flatMap((event) =>
        point(
          event.createdAt,
          `${event.eventType}${event.newStatus ? ` → ${event.newStatus}` : ''}`,
          eventTone(event.eventType),
        ),
      ),
  ];
  const tries = attempts.flatMap((attempt) =>
    point(
      attempt.createdAt,
      `attempt ${attempt.attemptNo} (${attempt.stage}): ${attempt.status}${attempt.httpStatus ? `, peer answered HTTP ${attempt.httpStatus}` : ''}${attempt.durationMs !== null ? ` in ${attempt.durationMs} ms` : ''}`,
      statusTone(attempt.status === 'sent' ? 'succeeded' : attempt.status),
    ),
  );
  const callback = [
    ...events
      .filter(isCallbackEvent)
      .flatMap((event) => point(event.createdAt, event.eventType, eventTone(event.eventType))),
    ...callbacks.flatMap((row) => [
      ...point(row.createdAt, `callback ${row.messageId} stored`, 'info'),
      ...point(row.sentAt, `callback ${row.messageId} delivered`, 'ok'),
      ...point(row.failedAt, `callback ${row.messageId} failed (${row.overallStatus})`, 'failed'),
    ]),
  ];
  return [
    { label: 'Message', points: lifecycle },
    { label: 'Attempts and answers', points: tries },
    { label: 'Result callback', points: callback },
  ];
}

/** Every message of a correlation on its own lane, both directions, in order of creation. */
export function correlationLanes(rows: TalktoMessageEntity[]): TimelineLane[] {
  return rows.map((row) => ({
    label: `${row.direction === 'outgoing' ? '→' : '←'} ${row.direction === 'outgoing' ? row.targetService : row.sourceService} ${row.command}`,
    href: messagePath(row.messageId),
    points: [
      ...point(row.createdAt, `${row.messageId} stored (${row.direction})`, 'info'),
      ...point(row.receivedAt, `${row.messageId} received from ${row.sourceService}`, 'info'),
      ...point(row.sentAt, `${row.messageId} accepted by ${row.targetService}`, 'ok'),
      ...point(row.completedAt, `${row.messageId} ${row.overallStatus}`, statusTone(row.overallStatus)),
      ...point(row.failedAt, `${row.messageId} failed, now ${row.overallStatus}`, 'failed'),
    ],
  }));
}
