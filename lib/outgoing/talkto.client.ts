import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { TalktoClock } from '../clock/talkto.clock.js';
import type { ResolvedTalktoOptions } from '../config/resolved-options.interface.js';
import { TalktoSendError } from '../errors/talkto-send.error.js';
import { MessageLedger } from '../persistence/message.ledger.js';
import { isUniqueViolation } from '../persistence/unique-violation.util.js';
import { validateIdentifier, validateNullableIdentifier } from '../protocol/identifier.validator.js';
import { freezePayload } from '../protocol/json/payload-freezer.js';
import { TalktoDispatcher } from '../queue/talkto.dispatcher.js';
import { TALKTO_RESOLVED_OPTIONS } from '../talkto.constants.js';
import type { TalktoSendOptions, TalktoSentMessage } from './send-options.interface.js';

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

/**
 * Sends commands to peers. `send()` validates and freezes the payload, stores the outgoing row
 * (in the caller's transaction when given one) and hands it to the send queue; delivery, signing
 * and retries happen in the background.
 */
@Injectable()
export class TalktoClient {
  constructor(
    @Inject(TALKTO_RESOLVED_OPTIONS) private readonly options: ResolvedTalktoOptions,
    private readonly clock: TalktoClock,
    private readonly ledger: MessageLedger,
    private readonly dispatcher: TalktoDispatcher,
  ) {}

  async send(
    target: string,
    command: string,
    payload: unknown,
    options: TalktoSendOptions = {},
  ): Promise<TalktoSentMessage> {
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
    const frozen = freezePayload(payload);

    const message = await this.createRow(
      {
        messageId,
        correlationId,
        parentMessageId: options.parentMessageId ?? null,
        source: this.options.service,
        target,
        command,
        businessKey: options.businessKey ?? null,
        idempotencyKey: options.idempotencyKey ?? null,
        schemaVersion: options.schemaVersion ?? 1,
        payload: frozen.value === null ? null : frozen.json,
        payloadHash: frozen.hash,
        maxAttempts: options.maxAttempts ?? this.options.maxAttempts,
        now: this.clock.now(),
      },
      options.manager,
    );
    if (!options.manager) {
      await this.dispatcher.dispatch('send', message.id);
    }
    return {
      id: message.id,
      messageId: message.messageId,
      correlationId: message.correlationId,
      payloadHash: message.payloadHash ?? frozen.hash,
      status: message.overallStatus,
      // An idempotent repeat returns the first message, whose id is not the one just minted.
      duplicate: message.messageId !== messageId,
    };
  }

  private async createRow(
    input: Parameters<MessageLedger['createOutgoing']>[0],
    manager: TalktoSendOptions['manager'],
  ): ReturnType<MessageLedger['createOutgoing']> {
    try {
      return await this.ledger.createOutgoing(input, manager);
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
