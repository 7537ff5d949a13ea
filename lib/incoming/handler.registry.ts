import type { Type } from '@nestjs/common';
import type { TalktoCommandHandler } from './incoming-message.interface.js';

export interface RegisteredHandler {
  command: string;
  instance: TalktoCommandHandler;
  /** DTO class for the payload, or null when the handler takes the plain payload. */
  payloadType: Type<unknown> | null;
  /** Runs in a transaction shared with the outcome write (`@TalktoHandler(..., { transactional: true })`). */
  transactional: boolean;
}

/** Command → handler, built once at boot by the explorer and read-only afterwards. */
export class HandlerRegistry {
  private readonly handlers: ReadonlyMap<string, RegisteredHandler>;

  constructor(handlers: Iterable<RegisteredHandler>) {
    this.handlers = new Map([...handlers].map((handler) => [handler.command, handler]));
  }

  get(command: string): RegisteredHandler | undefined {
    return this.handlers.get(command);
  }

  commands(): string[] {
    return [...this.handlers.keys()];
  }
}
