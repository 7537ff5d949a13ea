import { SetMetadata } from '@nestjs/common';
import { TALKTO_RESULT_HANDLER_METADATA } from '../talkto.constants.js';

/**
 * Marks an injectable whose `handle(result, original)` runs once for every result callback
 * applied to an outgoing `command` (not for duplicates or stale reports).
 */
export const OnTalktoResult = (command: string): ClassDecorator =>
  SetMetadata<string, string>(TALKTO_RESULT_HANDLER_METADATA, command);
