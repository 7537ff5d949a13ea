import { TalktoError } from '../protocol/errors/talkto.error.js';

/**
 * A signed request arrived, but a body parser had consumed its bytes without keeping them: the
 * signature cannot be checked. A host setup error, answered 500 so the sender tries again later.
 */
export class TalktoRawBodyError extends TalktoError {
  readonly code = 'raw_body_unavailable';

  constructor() {
    super(
      'Talkto needs the exact bytes of a request body, but a body parser consumed them: create the app ' +
        'with NestFactory.create(AppModule, { rawBody: true }).',
      'rawBody',
    );
  }
}
