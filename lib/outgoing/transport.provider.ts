import type { Provider } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import type { TalktoModuleOptions } from '../interfaces/talkto-module-options.interface.js';
import { TALKTO_MODULE_OPTIONS } from '../talkto.constants.js';
import { LoopbackTalktoTransport } from '../testing/loopback.transport.js';
import { HttpTalktoTransport } from './http.transport.js';
import { TalktoTransport } from './talkto.transport.js';

/** The `transport` option as a provider of the `TalktoTransport` token. */
export const TALKTO_TRANSPORT_PROVIDER: Provider = {
  provide: TalktoTransport,
  useFactory: async (options: TalktoModuleOptions, moduleRef: ModuleRef): Promise<TalktoTransport> => {
    const choice = options.transport ?? 'http';
    if (choice === 'http') return new HttpTalktoTransport();
    if (choice === 'loopback') return new LoopbackTalktoTransport();
    if (choice instanceof TalktoTransport) return choice;
    return moduleRef.create(choice);
  },
  inject: [TALKTO_MODULE_OPTIONS, ModuleRef],
};
