import { TalktoError } from '../protocol/errors/talkto.error.js';

/** A conditional status update kept losing to concurrent writers; the caller may simply retry later. */
export class TalktoLedgerConflictError extends TalktoError {
  readonly code = 'ledger_conflict';

  constructor(messageDbId: number) {
    super(`Talkto message #${messageDbId} kept changing while its status was being updated.`);
  }
}
