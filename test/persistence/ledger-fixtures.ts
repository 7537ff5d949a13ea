import type {
  CreateOutgoingInput,
  InsertIncomingInput,
} from '../../lib/persistence/message-ledger.interfaces.js';

let counter = 0;

/** A unique message id per call, so tests in one database never collide. */
export function nextMessageId(prefix = 'msg'): string {
  counter += 1;
  return `${prefix}-${process.pid}-${counter}`;
}

export function outgoingInput(overrides: Partial<CreateOutgoingInput> = {}): CreateOutgoingInput {
  return {
    messageId: nextMessageId('out'),
    source: 'orders',
    target: 'billing',
    command: 'invoice.create',
    payload: '{"amount":9007199254740993,"ratio":1.0,"z":-0.0,"a":[]}',
    payloadHash: 'a'.repeat(64),
    maxAttempts: 5,
    ...overrides,
  };
}

export function incomingInput(overrides: Partial<InsertIncomingInput> = {}): InsertIncomingInput {
  return {
    messageId: nextMessageId('in'),
    source: 'orders',
    target: 'billing',
    command: 'invoice.create',
    payload: '{"b":1,"a":2}',
    payloadHash: 'b'.repeat(64),
    ...overrides,
  };
}
