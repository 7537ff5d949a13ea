import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { DataSource, EntityManager } from 'typeorm';
import { TalktoClock } from '../clock/talkto.clock.js';
import type { ResolvedTalktoOptions } from '../config/resolved-options.interface.js';
import { traceparentFor } from '../tracing/active-traceparent.js';
import { TalktoSendError } from '../errors/talkto-send.error.js';
import { AfterCommitSubscriber } from '../persistence/after-commit.subscriber.js';
import { OutboxLedger } from '../persistence/outbox.ledger.js';
import type { CreateOutgoingInput } from '../persistence/message-ledger.interfaces.js';
import { isUniqueViolation, runInTransaction } from '../persistence/statements/index.js';
import { validateIdentifier, validateNullableIdentifier } from '../protocol/identifier.validator.js';
import { freezePayload } from '../protocol/json/payload-freezer.js';
import { TalktoDispatcher } from '../queue/talkto.dispatcher.js';
import type { TalktoModuleOptions } from '../interfaces/talkto-module-options.interface.js';
import { TALKTO_DATA_SOURCE, TALKTO_MODULE_OPTIONS, TALKTO_RESOLVED_OPTIONS } from '../talkto.constants.js';
import type { TalktoSendOptions, TalktoSentMessage } from './send-options.interface.js';
import { TalktoFlow, type TalktoFlowMessageWriter } from './talkto-flow.builder.js';
import { TalktoTransactionScope } from './talkto-transaction.scope.js';
import { RetryPolicy } from '../retry/retry.policy.js';

const LIMITS = {
  messageId: 100,
  correlationId: 100,
  parentMessageId: 100,
  businessKey: 191,
  idempotencyKey: 191,
};

function checkLength(options: TalktoSendOptions, key: keyof typeof LIMITS): void {
  const value = options[key];
  if (value !== undefined && (typeof value !== 'string' || value.length > LIMITS[key])) {
    throw new TalktoSendError(
      'invalid_send_option',
      key,
      `Talkto send option [${key}] must be a string of at most ${LIMITS[key]} characters.`,
    );
  }
}

/** How a flow or a plain send wants its row written; not part of the public send options. */
interface RowExtras {
  sourceActionStatus?: string;
  eventMeta?: Record<string, unknown>;
}

/**
 * Sends commands to peers. `send()` validates and freezes the payload, stores the outgoing row
 * and hands it to the send queue; delivery, signing and retries happen in the background.
 *
 * Inside a transaction (an explicit `manager`, `transaction()`, or the module's
 * `transactionManager` hook) the row is written in it and queued only after it commits: a rollback
 * leaves nothing behind and no request leaves before the business change is durable.
 */
@Injectable()
export class TalktoClient {
  constructor(
    @Inject(TALKTO_RESOLVED_OPTIONS) private readonly options: ResolvedTalktoOptions,
    private readonly clock: TalktoClock,
    private readonly outbox: OutboxLedger,
    private readonly dispatcher: TalktoDispatcher,
    private readonly afterCommit: AfterCommitSubscriber,
    private readonly scope: TalktoTransactionScope,
    @Inject(TALKTO_DATA_SOURCE) private readonly dataSource: DataSource,
    @Inject(TALKTO_MODULE_OPTIONS) private readonly moduleOptions: TalktoModuleOptions,
    private readonly retryPolicy: RetryPolicy,
  ) {}

  send(
    target: string,
    command: string,
    payload: unknown,
    options: TalktoSendOptions = {},
  ): Promise<TalktoSentMessage> {
    return this.store(target, command, payload, options, {});
  }

  /**
   * Runs `work` in a transaction on the Talkto DataSource; every `send()` inside it (however deep
   * in the call stack) joins that transaction without being handed the manager.
   */
  transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    // Exclusive: the host's code runs inside, and other writes must not wait for its commit.
    return runInTransaction(
      this.dataSource,
      undefined,
      (manager) => this.scope.run(manager, () => work(manager)),
      { exclusive: true },
    );
  }

  /** A named flow: a fluent send, or a source action and its message in one transaction (`run`). */
  flow(name: string): TalktoFlow {
    const writer: TalktoFlowMessageWriter = {
      store: (target, command, payload, options, extras) =>
        this.store(target, command, payload, options, extras),
      storeFailure: (target, command, options, error, eventMeta) =>
        this.storeFailure(target, command, options, error, eventMeta),
      transaction: (work) => this.transaction(work),
    };
    return new TalktoFlow(name, writer);
  }

  private async store(
    target: string,
    command: string,
    payload: unknown,
    options: TalktoSendOptions,
    extras: RowExtras,
  ): Promise<TalktoSentMessage> {
    const input = this.validate(target, command, options);
    const frozen = freezePayload(payload);
    const manager =
      options.manager ?? this.scope.current() ?? this.moduleOptions.transactionManager?.() ?? undefined;
    const message = await this.createRow(
      Object.assign(
        {},
        input,
        {
          // Only a null value is written `null`; reading `frozen.value` would decode the payload again.
          payload: frozen.json === 'null' ? null : frozen.json,
          payloadHash: frozen.hash,
        },
        extras,
      ),
      manager,
    );
    // An idempotent repeat returns the first message, whose id is not the one just minted.
    const duplicate = message.messageId !== input.messageId;
    await this.afterCommit.runAfterCommit(manager, async () => {
      await this.dispatcher.dispatch('send', message.id, { newRow: !duplicate });
    });
    return {
      id: message.id,
      messageId: message.messageId,
      correlationId: message.correlationId,
      payloadHash: message.payloadHash ?? frozen.hash,
      status: message.overallStatus,
      duplicate,
    };
  }

  private async storeFailure(
    target: string,
    command: string,
    options: TalktoSendOptions,
    error: string,
    eventMeta: Record<string, unknown>,
  ): Promise<void> {
    const input = this.validate(target, command, options);
    await this.outbox.createFailedOutgoing(Object.assign({}, input, { error, eventMeta }));
  }

  /** Checks the target, command and options; throws before anything is written. */
  private validate(
    target: string,
    command: string,
    options: TalktoSendOptions,
  ): Omit<CreateOutgoingInput, 'payload' | 'payloadHash'> & { messageId: string } {
    const resolved = this.options.outgoing.get(target);
    if (!resolved) {
      throw new TalktoSendError(
        'unknown_target',
        'target',
        `Talkto target [${target}] is not configured in outgoing.`,
      );
    }
    (Object.keys(LIMITS) as Array<keyof typeof LIMITS>).forEach((key) => checkLength(options, key));
    if (typeof command !== 'string' || command === '' || command.length > 150) {
      throw new TalktoSendError(
        'invalid_send_option',
        'command',
        'Talkto command must be a non-empty string of at most 150 characters.',
      );
    }
    const messageId = options.messageId ?? randomUUID();
    const correlationId = options.correlationId ?? randomUUID();
    validateIdentifier(command, 'command');
    validateIdentifier(messageId, 'message_id');
    validateNullableIdentifier(correlationId, 'correlation_id');
    validateNullableIdentifier(options.parentMessageId ?? null, 'parent_message_id');
    return {
      messageId,
      correlationId,
      parentMessageId: options.parentMessageId ?? null,
      source: this.options.service,
      target,
      command,
      businessKey: options.businessKey ?? null,
      idempotencyKey: options.idempotencyKey ?? null,
      schemaVersion: options.schemaVersion ?? 1,
      // The layered retry settings (retry.maxAttempts, outgoing, peer, command) set the row's budget.
      maxAttempts:
        options.maxAttempts ?? this.retryPolicy.settingsFor('outgoing', target, command).maxAttempts,
      traceparent: traceparentFor(options.traceparent),
      now: this.clock.now(),
    };
  }

  private async createRow(
    input: Parameters<OutboxLedger['createOutgoing']>[0],
    manager: TalktoSendOptions['manager'],
  ): ReturnType<OutboxLedger['createOutgoing']> {
    try {
      return await this.outbox.createOutgoing(input, manager);
    } catch (error) {
      if (isUniqueViolation(error)) {
        throw new TalktoSendError(
          'duplicate_message_id',
          'messageId',
          'A Talkto message with this messageId already exists; message ids are unique across directions.',
        );
      }
      throw error;
    }
  }
}
