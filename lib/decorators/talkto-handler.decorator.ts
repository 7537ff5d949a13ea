import { SetMetadata, type Type } from '@nestjs/common';
import { TALKTO_HANDLER_METADATA } from '../talkto.constants.js';

export interface TalktoHandlerOptions {
  /** DTO class the payload is transformed into and validated against (default: the type of `handle`'s first parameter). */
  payload?: Type<unknown>;
  /**
   * Run the handler in a database transaction that also records its success: write through
   * `message.manager` and the effect happens exactly once (default `false`).
   */
  transactional?: boolean;
}

export interface TalktoHandlerMetadata extends TalktoHandlerOptions {
  command: string;
}

/** Marks an injectable as the handler of one incoming command. */
export const TalktoHandler = (command: string, options: TalktoHandlerOptions = {}): ClassDecorator =>
  SetMetadata<string, TalktoHandlerMetadata>(TALKTO_HANDLER_METADATA, { command, ...options });
