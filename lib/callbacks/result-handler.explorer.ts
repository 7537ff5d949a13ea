import { Injectable, Logger, type OnModuleInit, type Type } from '@nestjs/common';
import { DiscoveryService, Reflector } from '@nestjs/core';
import { TalktoConfigurationError } from '../errors/talkto-configuration.error.js';
import { TALKTO_RESULT_HANDLER_METADATA } from '../talkto.constants.js';
import type {
  TalktoCallbackResult,
  TalktoOriginalMessage,
  TalktoResultHandler,
} from './callback-result.interface.js';

/**
 * Finds every `@OnTalktoResult` at boot and runs the ones for a command after a callback was
 * applied. A throwing hook is logged: the callback is already recorded and the peer must still
 * get its `accepted` answer, or it would resend a report we hold.
 */
@Injectable()
export class ResultHandlerExplorer implements OnModuleInit {
  private readonly logger = new Logger('Talkto');
  private handlers = new Map<string, TalktoResultHandler[]>();

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly reflector: Reflector,
  ) {}

  onModuleInit(): void {
    const found = new Map<string, TalktoResultHandler[]>();
    for (const wrapper of this.discovery.getProviders()) {
      const metatype = wrapper.metatype as Type<unknown> | undefined;
      if (!metatype || typeof metatype !== 'function') {
        continue;
      }
      const command = this.reflector.get<string | undefined>(TALKTO_RESULT_HANDLER_METADATA, metatype);
      if (command === undefined) {
        continue;
      }
      const instance = wrapper.instance as TalktoResultHandler | undefined;
      if (!wrapper.isDependencyTreeStatic() || !instance || typeof instance.handle !== 'function') {
        throw new TalktoConfigurationError(
          `@OnTalktoResult('${command}')`,
          `${metatype.name} must be a singleton provider with a handle() method`,
        );
      }
      found.set(command, [...(found.get(command) ?? []), instance]);
    }
    this.handlers = found;
  }

  async notify(result: TalktoCallbackResult, original: TalktoOriginalMessage): Promise<void> {
    for (const handler of this.handlers.get(original.command) ?? []) {
      try {
        await handler.handle(result, original);
      } catch (error) {
        this.logger.error(
          `@OnTalktoResult('${original.command}') ${handler.constructor.name} failed for ${original.messageId}: ${
            (error as Error).message
          }`,
        );
      }
    }
  }
}
