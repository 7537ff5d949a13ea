import type { EntityManager } from 'typeorm';
import { TalktoSendError } from '../errors/talkto-send.error.js';
import type { TalktoSendOptions, TalktoSentMessage } from './send-options.interface.js';

/** What a source action may return: the payload itself, or the payload with a result and meta to audit. */
export type TalktoFlowActionResult = unknown;

/** The client's writing side as a flow sees it; keeps the builder free of Nest and the ledger. */
export interface TalktoFlowMessageWriter {
  store(
    target: string,
    command: string,
    payload: unknown,
    options: TalktoSendOptions,
    extras: { sourceActionStatus?: string; eventMeta?: Record<string, unknown> },
  ): Promise<TalktoSentMessage>;
  storeFailure(
    target: string,
    command: string,
    options: TalktoSendOptions,
    error: string,
    eventMeta: Record<string, unknown>,
  ): Promise<void>;
  transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T>;
}

type FlowOptions = Omit<TalktoSendOptions, 'manager'>;

/**
 * A named outgoing message built step by step (BEHAVIOR §4.3). `send()` stores and queues it;
 * `run(action)` first runs the business change, then stores the message in the same transaction,
 * so either both happen or neither does. The flow name goes into the `message_created` event.
 */
export class TalktoFlow {
  private target?: string;
  private commandName?: string;
  private body: unknown = {};
  private readonly options: FlowOptions = {};

  constructor(
    readonly name: string,
    private readonly writer: TalktoFlowMessageWriter,
  ) {}

  to(target: string): this {
    this.target = target;
    return this;
  }

  command(command: string): this {
    this.commandName = command;
    return this;
  }

  payload(payload: unknown): this {
    this.body = payload;
    return this;
  }

  businessKey(key: string): this {
    return this.set('businessKey', key);
  }

  idempotencyKey(key: string): this {
    return this.set('idempotencyKey', key);
  }

  correlationId(id: string): this {
    return this.set('correlationId', id);
  }

  parentMessageId(id: string): this {
    return this.set('parentMessageId', id);
  }

  messageId(id: string): this {
    return this.set('messageId', id);
  }

  schemaVersion(version: number): this {
    return this.set('schemaVersion', version);
  }

  maxAttempts(attempts: number): this {
    return this.set('maxAttempts', attempts);
  }

  /**
   * Stores the message (source action `succeeded_assumed`) and queues it once the surrounding
   * transaction, if any, commits.
   */
  send(): Promise<TalktoSentMessage> {
    const { target, command } = this.required();
    return this.writer.store(target, command, this.body, this.options, {
      eventMeta: { flow_name: this.name },
    });
  }

  /**
   * Runs `action` in a new transaction and stores the message it produces in that transaction
   * (source action `succeeded`); queues it after commit. When the action or the write throws, the
   * transaction rolls back, a separate `failed` row records what happened, and the error is rethrown.
   */
  async run(action: (manager: EntityManager) => Promise<TalktoFlowActionResult>): Promise<TalktoSentMessage> {
    const { target, command } = this.required();
    try {
      return await this.writer.transaction(async (manager) => {
        const { payload, result, meta } = splitActionResult(await action(manager));
        return this.writer.store(target, command, payload, Object.assign({}, this.options, { manager }), {
          sourceActionStatus: 'succeeded',
          eventMeta: { flow_name: this.name, source_result: result, source_meta: meta },
        });
      });
    } catch (error) {
      // Recording the failure is best effort: the caller must see the original error, not ours.
      await this.writer
        .storeFailure(target, command, this.options, describe(error), { flow_name: this.name })
        .catch(() => undefined);
      throw error;
    }
  }

  private set<K extends keyof FlowOptions>(key: K, value: FlowOptions[K]): this {
    this.options[key] = value;
    return this;
  }

  private required(): { target: string; command: string } {
    if (!this.target) {
      throw new TalktoSendError(
        'invalid_send_option',
        'target',
        `Talkto flow [${this.name}] has no target; call to().`,
      );
    }
    if (!this.commandName) {
      throw new TalktoSendError(
        'invalid_send_option',
        'command',
        `Talkto flow [${this.name}] has no command; call command().`,
      );
    }
    return { target: this.target, command: this.commandName };
  }
}

function splitActionResult(value: TalktoFlowActionResult): {
  payload: unknown;
  result?: Record<string, unknown>;
  meta?: Record<string, unknown>;
} {
  if (
    value !== null &&
    typeof value === 'object' &&
    !Array.isArray(value) &&
    Object.hasOwn(value, 'payload')
  ) {
    const { payload, result, meta } = value as {
      payload: unknown;
      result?: Record<string, unknown>;
      meta?: Record<string, unknown>;
    };
    return { payload, result, meta };
  }
  return { payload: value };
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
