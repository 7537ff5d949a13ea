import { TalktoError } from '../protocol/errors/talkto.error.js';

/** An operations call or CLI command was given an invalid option; nothing was changed. */
export class TalktoUsageError extends TalktoError {
  readonly code = 'invalid_usage';

  constructor(option: string, problem: string) {
    super(`Invalid ${option}: ${problem}`, option);
  }
}
