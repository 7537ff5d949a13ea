import type { DataSource } from 'typeorm';
import { InboxLedger } from '../../lib/persistence/inbox.ledger.js';
import { LedgerCore } from '../../lib/persistence/ledger.core.js';
import { MessageLog } from '../../lib/persistence/message.log.js';
import { OutboxLedger } from '../../lib/persistence/outbox.ledger.js';
import { RecoveryLedger } from '../../lib/persistence/recovery.ledger.js';
import { ResultCallbackLedger } from '../../lib/persistence/result-callback.ledger.js';

/** Every lifecycle of the ledger, as one app wires them. */
export interface Ledgers {
  messages: MessageLog;
  outbox: OutboxLedger;
  inbox: InboxLedger;
  callbacks: ResultCallbackLedger;
  recovery: RecoveryLedger;
}

/** The ledgers of one process on `dataSource`, sharing one core as the module's providers do. */
export function ledgersFor(dataSource: DataSource): Ledgers {
  const core = new LedgerCore(dataSource);
  return {
    messages: new MessageLog(dataSource),
    outbox: new OutboxLedger(core),
    inbox: new InboxLedger(core),
    callbacks: new ResultCallbackLedger(core),
    recovery: new RecoveryLedger(core),
  };
}

/** The ledgers a booted Talkto module provides. */
export function ledgersOf(app: {
  get<T>(type: new (...args: never[]) => T, options?: { strict: boolean }): T;
}): Ledgers {
  const get = <T>(type: new (...args: never[]) => T) => app.get(type, { strict: false });
  return {
    messages: get(MessageLog),
    outbox: get(OutboxLedger),
    inbox: get(InboxLedger),
    callbacks: get(ResultCallbackLedger),
    recovery: get(RecoveryLedger),
  };
}
