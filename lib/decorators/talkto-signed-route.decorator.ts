import { Reflector } from '@nestjs/core';

/** A host route's own verification settings; secrets always come from the module's `incoming`. */
export interface TalktoSignedRouteOptions {
  /** Sources accepted on this route, each configured under `incoming`. Default: every configured one. */
  sources?: string[];
  /** Commands accepted on this route from any accepted source. Default: each source's `allowedCommands`. */
  commands?: string[];
}

/** Narrows what `TalktoSignatureGuard` accepts on a controller or route. */
export const TalktoSignedRoute = Reflector.createDecorator<TalktoSignedRouteOptions>();
