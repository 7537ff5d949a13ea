import { Logger } from '@nestjs/common';
import type { TalktoMessageEntity } from '../persistence/entities/message.entity.js';

/** A code a peer or handler chose, shown only when it looks like one (never free text from the wire). */
const CODE = /^[A-Za-z0-9_.:-]{1,64}$/;

function code(value: unknown, fallback: string): string {
  return typeof value === 'string' && CODE.test(value) ? value : fallback;
}

/** The `error` field of a peer's JSON answer, if it is a code. */
function answerCode(body: string | null | undefined): unknown {
  if (!body) return undefined;
  try {
    const parsed: unknown = JSON.parse(body);
    return typeof parsed === 'object' && parsed !== null ? (parsed as { error?: unknown }).error : undefined;
  } catch {
    return undefined;
  }
}

/**
 * One WARN line for each outcome an operator must be able to see: a final send failure, a final
 * processing failure, a dead letter, a rejected request. The line names ids, peer, command, status
 * and a code; never a payload, a header value, a secret or a peer's free text. Callers log only
 * after the ledger recorded the change, so a line stands for one transition.
 */
export class TalktoFailureLog {
  private readonly logger = new Logger('Talkto');

  sendFailed(
    message: Pick<TalktoMessageEntity, 'messageId' | 'targetService' | 'command'>,
    failure: { httpStatus?: number | null; errorClass?: string | null; responseBody?: string | null },
    deadLettered: boolean,
  ): void {
    const status = failure.httpStatus == null ? 'no HTTP answer' : `HTTP ${failure.httpStatus}`;
    const why = code(answerCode(failure.responseBody), code(failure.errorClass, 'send_failed'));
    this.logger.warn(
      `Talkto could not deliver ${message.command} ${message.messageId} to ${message.targetService}: ` +
        `${status}, ${why}; failed_final${deadLettered ? ', dead-lettered' : ''}.`,
    );
  }

  processFailed(
    message: Pick<TalktoMessageEntity, 'messageId' | 'sourceService' | 'command'>,
    errorClass: string | null | undefined,
    deadLettered: boolean,
  ): void {
    this.logger.warn(
      `Talkto ${message.command} ${message.messageId} from ${message.sourceService} failed finally: ` +
        `${code(errorClass, 'failed_final')}${deadLettered ? '; dead-lettered' : ''}.`,
    );
  }

  staleClaimExhausted(id: number, deadLettered: boolean): void {
    this.logger.warn(
      `Talkto message #${id} was abandoned by its worker too often: failed_final` +
        `${deadLettered ? ', dead-lettered' : ''}.`,
    );
  }

  /** `peer` only once the signature checked out: before that the name is the caller's to invent. */
  rejected(route: 'command' | 'callback', status: number, error: unknown, peer?: string): void {
    this.logger.warn(
      `Talkto rejected a ${route} request: ${status} ${code(error, 'rejected')} ` +
        `(${peer === undefined ? 'sender not verified' : `from ${peer}`}).`,
    );
  }
}
