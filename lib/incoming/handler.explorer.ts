import { Inject, Injectable, Logger, type OnModuleInit, type Type } from '@nestjs/common';
import { DiscoveryService, Reflector } from '@nestjs/core';
import type { ResolvedTalktoOptions } from '../config/resolved-options.interface.js';
import type { TalktoHandlerMetadata } from '../decorators/talkto-handler.decorator.js';
import { TalktoConfigurationError } from '../errors/talkto-configuration.error.js';
import { TALKTO_HANDLER_METADATA, TALKTO_RESOLVED_OPTIONS } from '../talkto.constants.js';
import { HandlerRegistry, type RegisteredHandler } from './handler.registry.js';
import type { TalktoCommandHandler } from './incoming-message.interface.js';

// Parameter types that mean "no DTO": the handler takes the payload as decoded.
const PLAIN_TYPES = new Set<unknown>([Object, Array, String, Number, Boolean, undefined]);

/** Finds every `@TalktoHandler` at boot and fails the boot on anything it cannot serve. */
@Injectable()
export class HandlerExplorer implements OnModuleInit {
  private readonly logger = new Logger('Talkto');
  private registry = new HandlerRegistry([]);

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly reflector: Reflector,
    @Inject(TALKTO_RESOLVED_OPTIONS) private readonly options: ResolvedTalktoOptions,
  ) {}

  onModuleInit(): void {
    const found = new Map<string, RegisteredHandler>();
    for (const wrapper of this.discovery.getProviders()) {
      const metatype = wrapper.metatype as Type<unknown> | undefined;
      if (!metatype || typeof metatype !== 'function') {
        continue;
      }
      const metadata = this.reflector.get<TalktoHandlerMetadata | undefined>(
        TALKTO_HANDLER_METADATA,
        metatype,
      );
      if (!metadata) {
        continue;
      }
      const name = metatype.name;
      if (!wrapper.isDependencyTreeStatic()) {
        throw new TalktoConfigurationError(
          `@TalktoHandler('${metadata.command}')`,
          `${name} is request-scoped; handlers run outside any request and must be singletons`,
        );
      }
      const instance = wrapper.instance as TalktoCommandHandler | undefined;
      if (!instance || typeof instance.handle !== 'function') {
        throw new TalktoConfigurationError(
          `@TalktoHandler('${metadata.command}')`,
          `${name} has no handle() method`,
        );
      }
      const previous = found.get(metadata.command);
      if (previous) {
        throw new TalktoConfigurationError(
          `@TalktoHandler('${metadata.command}')`,
          `declared by both ${previous.instance.constructor.name} and ${name}`,
        );
      }
      found.set(metadata.command, {
        command: metadata.command,
        instance,
        payloadType: metadata.payload ?? this.payloadTypeOf(metatype),
        transactional: metadata.transactional === true,
      });
    }
    this.assertEveryAllowedCommandIsServed(found);
    this.registry = new HandlerRegistry(found.values());
    if (found.size > 0) {
      this.logger.log(`Talkto handlers: ${[...found.keys()].join(', ')}`);
    }
  }

  getRegistry(): HandlerRegistry {
    return this.registry;
  }

  private payloadTypeOf(metatype: Type<unknown>): Type<unknown> | null {
    const params = Reflect.getMetadata('design:paramtypes', metatype.prototype, 'handle') as
      unknown[] | undefined;
    const type = params?.[0];
    return PLAIN_TYPES.has(type) || typeof type !== 'function' ? null : (type as Type<unknown>);
  }

  private assertEveryAllowedCommandIsServed(found: Map<string, RegisteredHandler>): void {
    if (this.options.unknownCommandStrategy === 'skip') {
      return;
    }
    for (const source of this.options.incoming.values()) {
      for (const [command, settings] of source.commands) {
        if (settings.driver === 'handler' && !found.has(command)) {
          throw new TalktoConfigurationError(
            `incoming.${source.name}.allowedCommands.${command}`,
            "has no @TalktoHandler; add one, use driver 'none', or set unknownCommandStrategy 'skip'",
          );
        }
      }
    }
  }
}
