import { Inject, Injectable } from '@nestjs/common';
import type { ResolvedTalktoOptions } from '../config/resolved-options.interface.js';
import { TALKTO_RESOLVED_OPTIONS } from '../talkto.constants.js';
import { HandlerExplorer } from './handler.explorer.js';
import type { RegisteredHandler } from './handler.registry.js';
import { TalktoResult } from './handler-result.js';
import type { IncomingMessage } from './incoming-message.interface.js';
import { bindPayload } from './payload-binder.js';
import { collectSecrets, redactSecrets } from './redact-secrets.util.js';

const MAX_ERROR_LENGTH = 2000;

/** What the invoker needs to run one message; `payload` is already plain JS data. */
export type InvocationInput = IncomingMessage;

export type Invocation =
  { kind: 'builtin'; result: TalktoResult } | { kind: 'handler'; handler: RegisteredHandler };

/**
 * Resolves and runs the handler of one incoming message and turns every way it can end — value,
 * `TalktoResult`, invalid DTO, exception — into a `TalktoResult`. It never throws.
 */
@Injectable()
export class HandlerInvoker {
  private readonly secrets: string[];

  constructor(
    @Inject(TALKTO_RESOLVED_OPTIONS) private readonly options: ResolvedTalktoOptions,
    private readonly explorer: HandlerExplorer,
  ) {
    this.secrets = collectSecrets(options);
  }

  /** Which code answers this command: a registered handler or a built-in outcome. */
  resolve(message: InvocationInput): Invocation {
    const settings = this.options.incoming.get(message.source)?.commands.get(message.command);
    if (settings?.driver === 'none') {
      return {
        kind: 'builtin',
        result: TalktoResult.succeeded(
          { driver: 'none', executed: false },
          { command: message.command, business_key: message.businessKey },
        ),
      };
    }
    const handler = this.explorer.getRegistry().get(message.command);
    if (handler) {
      return { kind: 'handler', handler };
    }
    if (this.options.unknownCommandStrategy === 'skip') {
      return {
        kind: 'builtin',
        result: TalktoResult.skipped('unknown_command', { command: message.command, source: message.source }),
      };
    }
    return {
      kind: 'builtin',
      result: TalktoResult.retryableFailure(
        `No Talkto incoming handler is registered for command [${message.command}] from source [${message.source}].`,
        'unknown_command',
      ),
    };
  }

  async run(handler: RegisteredHandler, message: InvocationInput): Promise<TalktoResult> {
    const binding = await bindPayload(message.payload, handler.payloadType);
    if (binding.problems.length > 0) {
      return TalktoResult.finalFailure(
        this.clean(`Payload validation failed: ${binding.problems.join(', ')}`),
        'validation_error',
        { fields: binding.problems },
      );
    }
    try {
      const value = await handler.instance.handle(
        binding.payload,
        Object.assign({}, message, { payload: binding.payload }),
      );
      return TalktoResult.from(value);
    } catch (error) {
      return this.fromException(error);
    }
  }

  fromException(error: unknown): TalktoResult {
    const errorClass = error instanceof Error ? error.constructor.name : typeof error;
    const text = error instanceof Error ? error.message : String(error);
    return TalktoResult.retryableFailure(this.clean(text || 'Unexpected handler exception.'), errorClass, {
      unexpected_exception: true,
      exception_class: errorClass,
      source: 'handler_exception',
    });
  }

  private clean(text: string): string {
    return redactSecrets(text, this.secrets).trim().slice(0, MAX_ERROR_LENGTH);
  }
}
