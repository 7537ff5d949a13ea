import { TalktoError } from '../protocol/errors/talkto.error.js';

/** Invalid module options, raised at boot. The message names the option key, never a secret. */
export class TalktoConfigurationError extends TalktoError {
  readonly code = 'invalid_configuration';

  constructor(key: string, problem: string) {
    super(`Invalid Talkto option [${key}]: ${problem}`, key);
  }
}
