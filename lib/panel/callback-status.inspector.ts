import { Inject, Injectable } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import type { ResolvedTalktoOptions } from '../config/resolved-options.interface.js';
import { TalktoAttemptEntity } from '../persistence/entities/attempt.entity.js';
import { TalktoDeadLetterEntity } from '../persistence/entities/dead-letter.entity.js';
import { TalktoEventEntity } from '../persistence/entities/event.entity.js';
import { TalktoMessageEntity } from '../persistence/entities/message.entity.js';
import { MessageStatus as S } from '../persistence/message.statuses.js';
import { TALKTO_DATA_SOURCE, TALKTO_RESOLVED_OPTIONS } from '../talkto.constants.js';

export type CallbackContext =
  'destination_incoming' | 'source_outgoing' | 'outgoing_callback' | 'incoming_callback' | 'unknown';

export type CallbackState =
  | 'callback_not_expected_yet'
  | 'callback_message_missing'
  | 'callback_queued'
  | 'callback_sending'
  | 'callback_completed'
  | 'callback_failed_retryable'
  | 'callback_failed_final'
  | 'callback_dead_lettered'
  | 'waiting_for_callback'
  | 'callback_applied'
  | 'callback_failed_result_received'
  | 'callback_events_missing'
  | 'not_applicable';

const TEXT: Record<CallbackState, [label: string, summary: string]> = {
  callback_not_expected_yet: [
    'Not expected yet',
    'The command is still being handled; its result is reported once it finishes.',
  ],
  callback_message_missing: [
    'Callback missing',
    'The command finished but no result callback was created for it.',
  ],
  callback_queued: ['Callback queued', 'The result callback is stored and waiting to be sent.'],
  callback_sending: ['Callback sending', 'The result callback is being sent right now.'],
  callback_completed: ['Callback delivered', 'The sender accepted the result callback.'],
  callback_failed_retryable: [
    'Callback failed, will retry',
    'Sending the result callback failed; it is retried.',
  ],
  callback_failed_final: ['Callback failed', 'Sending the result callback failed for good.'],
  callback_dead_lettered: ['Callback dead-lettered', 'The result callback is in the dead-letter queue.'],
  waiting_for_callback: [
    'Waiting for the result',
    'The peer received the command and has not reported its result yet.',
  ],
  callback_applied: ['Result applied', "The peer's result callback was received and applied."],
  callback_failed_result_received: [
    'Failure reported',
    'The peer reported that handling the command failed.',
  ],
  callback_events_missing: [
    'Result without events',
    'The message shows a result, but no callback event records it.',
  ],
  not_applicable: ['Not applicable', 'No result callback is involved for this message.'],
};

/** Event types that tell a callback's story, reported as present or absent. */
export const CALLBACK_EVENT_TYPES = [
  'result_callback_queued',
  'result_callback_queue_failed',
  'result_callback_skipped',
  'result_callback_failed',
  'result_callback_received',
  'result_callback_applied',
  'result_callback_duplicate',
  'result_callback_stale_ignored',
  'result_callback_rejected',
];

type MessageSummary = Pick<
  TalktoMessageEntity,
  'id' | 'messageId' | 'direction' | 'command' | 'overallStatus' | 'sourceService' | 'targetService'
>;

/** Where a message stands with its result callback (BEHAVIOR §10.3); reads only. */
export interface CallbackInspection {
  applicable: boolean;
  context: CallbackContext;
  state: CallbackState;
  label: string;
  summary: string;
  message: MessageSummary;
  callbackMessage: MessageSummary | null;
  parentMessage: MessageSummary | null;
  attempts: {
    count: number;
    lastStatus: string | null;
    lastHttpStatus: number | null;
    lastError: string | null;
  };
  events: Record<string, boolean>;
  deadLetter: { exists: boolean; id: number | null; status: string | null; failedStatus: string | null };
}

const SUMMARY_COLUMNS = {
  id: true,
  messageId: true,
  direction: true,
  command: true,
  overallStatus: true,
  sourceService: true,
  targetService: true,
} as const;

const PENDING = new Set<string>([S.created, S.queued, S.pending, S.waitingToSend]);
const DELIVERED = new Set<string>([S.completed, S.succeeded, S.sent, S.destinationReceived]);
const FINISHED = new Set<string>([S.succeeded, S.completed, S.skipped, S.failedFinal, S.cancelled]);

function summaryOf(row: TalktoMessageEntity): MessageSummary {
  const { id, messageId, direction, command, overallStatus, sourceService, targetService } = row;
  return { id, messageId, direction, command, overallStatus, sourceService, targetService };
}

/** A callback row's own state: sent, failing or dead-lettered. */
function deliveryState(status: string, deadLettered: boolean): CallbackState {
  if (deadLettered) return 'callback_dead_lettered';
  if (status === S.sending) return 'callback_sending';
  if (DELIVERED.has(status)) return 'callback_completed';
  if (status === S.failedRetryable) return 'callback_failed_retryable';
  if (status === S.failedFinal) return 'callback_failed_final';
  return PENDING.has(status) ? 'callback_queued' : 'callback_sending';
}

@Injectable()
export class CallbackStatusInspector {
  constructor(
    @Inject(TALKTO_DATA_SOURCE) private readonly dataSource: DataSource,
    @Inject(TALKTO_RESOLVED_OPTIONS) private readonly options: ResolvedTalktoOptions,
  ) {}

  async inspect(message: TalktoMessageEntity): Promise<CallbackInspection> {
    const manager = this.dataSource.manager;
    const callbackCommand = this.options.callbacks.command;
    const isCallback = message.command === callbackCommand;
    const context: CallbackContext =
      message.direction === 'incoming'
        ? isCallback
          ? 'incoming_callback'
          : 'destination_incoming'
        : message.direction === 'outgoing'
          ? isCallback
            ? 'outgoing_callback'
            : 'source_outgoing'
          : 'unknown';
    const [callbackRow, parentRow, eventRows] = await Promise.all([
      context === 'destination_incoming'
        ? manager.findOne(TalktoMessageEntity, {
            where: { parentMessageId: message.messageId, command: callbackCommand, direction: 'outgoing' },
            order: { id: 'DESC' },
          })
        : null,
      message.parentMessageId
        ? manager.findOne(TalktoMessageEntity, {
            where: { messageId: message.parentMessageId },
            select: SUMMARY_COLUMNS,
          })
        : null,
      manager.find(TalktoEventEntity, {
        where: { talktoMessageId: message.id },
        select: { id: true, eventType: true },
      }),
    ]);
    // The row whose delivery we report: the callback we owe, or the message when it is one.
    const delivery = context === 'outgoing_callback' ? message : callbackRow;
    const [attempts, deadLetter] = delivery
      ? await Promise.all([
          manager.find(TalktoAttemptEntity, {
            where: { talktoMessageId: delivery.id },
            select: { id: true, status: true, httpStatus: true, errorMessage: true },
            order: { id: 'DESC' },
          }),
          manager.findOne(TalktoDeadLetterEntity, {
            where: { talktoMessageId: delivery.id },
            select: { id: true, status: true, failedStatus: true },
          }),
        ])
      : [[], null];
    const seen = new Set(eventRows.map((event) => event.eventType));
    const events = Object.fromEntries(CALLBACK_EVENT_TYPES.map((type) => [type, seen.has(type)]));
    const state = this.stateOf(context, message, delivery, deadLetter !== null, seen);
    const [label, summary] = TEXT[state];
    const last = attempts[0];
    return {
      applicable: state !== 'not_applicable',
      context,
      state,
      label,
      summary,
      message: summaryOf(message),
      callbackMessage: callbackRow ? summaryOf(callbackRow) : null,
      parentMessage: parentRow,
      attempts: {
        count: attempts.length,
        lastStatus: last?.status ?? null,
        lastHttpStatus: last?.httpStatus ?? null,
        lastError: last?.errorMessage ?? null,
      },
      events,
      deadLetter: {
        exists: deadLetter !== null,
        id: deadLetter?.id ?? null,
        status: deadLetter?.status ?? null,
        failedStatus: deadLetter?.failedStatus ?? null,
      },
    };
  }

  private stateOf(
    context: CallbackContext,
    message: TalktoMessageEntity,
    delivery: TalktoMessageEntity | null,
    deadLettered: boolean,
    events: Set<string>,
  ): CallbackState {
    switch (context) {
      case 'destination_incoming':
        if (delivery) return deliveryState(delivery.overallStatus, deadLettered);
        if (!this.options.callbacks.enabled || events.has('result_callback_skipped')) return 'not_applicable';
        return FINISHED.has(message.overallStatus) ? 'callback_message_missing' : 'callback_not_expected_yet';
      case 'outgoing_callback':
        return deliveryState(message.overallStatus, deadLettered);
      case 'source_outgoing': {
        if (events.has('result_callback_applied')) {
          const failed =
            message.destinationActionStatus === S.failedFinal ||
            message.destinationActionStatus === S.failedRetryable;
          return failed ? 'callback_failed_result_received' : 'callback_applied';
        }
        if (message.destinationReceiveStatus !== S.received) return 'not_applicable';
        // Only an applied callback completes an outgoing command.
        return message.overallStatus === S.completed ? 'callback_events_missing' : 'waiting_for_callback';
      }
      default:
        return 'not_applicable';
    }
  }
}
