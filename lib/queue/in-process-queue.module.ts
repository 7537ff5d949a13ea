import { type DynamicModule, Logger, Module } from '@nestjs/common';
import type { ResolvedTalktoOptions } from '../config/resolved-options.interface.js';
import { TALKTO_RESOLVED_OPTIONS } from '../talkto.constants.js';
import { InProcessQueueDriver } from './in-process.driver.js';
import { assertStaticDriver } from './queue-driver.rules.js';
import { TALKTO_QUEUE_DRIVER } from './queue.constants.js';

/** The embedded driver, the default: no Redis, no extra package. */
@Module({})
export class TalktoInProcessQueueModule {
  static register(): DynamicModule {
    return {
      module: TalktoInProcessQueueModule,
      providers: [
        {
          provide: TALKTO_QUEUE_DRIVER,
          useFactory: ({ queue }: ResolvedTalktoOptions) => {
            assertStaticDriver('in-process', queue.driver);
            return new InProcessQueueDriver(
              { stopTimeoutMs: queue.driver === 'in-process' ? queue.stopTimeoutMs : undefined },
              new Logger('Talkto'),
            );
          },
          inject: [TALKTO_RESOLVED_OPTIONS],
        },
      ],
      exports: [TALKTO_QUEUE_DRIVER],
    };
  }
}
