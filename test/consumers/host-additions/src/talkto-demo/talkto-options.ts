import type { ConfigService } from '@nestjs/config';
import type { TalktoModuleOptions } from 'nestjs-talkto';

/** Two instances of this app talk to each other; each learns its name and its peer from the environment. */
export function talktoOptions(config: ConfigService): TalktoModuleOptions {
  const peer = config.getOrThrow<string>('TALKTO_PEER');
  return {
    service: config.getOrThrow<string>('TALKTO_SERVICE'),
    outgoing: {
      [peer]: {
        baseUrl: config.getOrThrow<string>('TALKTO_PEER_URL'),
        secret: config.getOrThrow<string>('TALKTO_SECRET_TO_PEER'),
      },
    },
    incoming: {
      [peer]: {
        secret: config.getOrThrow<string>('TALKTO_SECRET_FROM_PEER'),
        allowedCommands: { 'demo.ping': { idempotency: 'required' } },
      },
    },
  };
}
