import { type CanActivate, type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { ResolvedTalktoOptions } from '../config/resolved-options.interface.js';
import {
  TalktoSignedRoute,
  type TalktoSignedRouteOptions,
} from '../decorators/talkto-signed-route.decorator.js';
import { TALKTO_RESOLVED_OPTIONS } from '../talkto.constants.js';
import { SignedRequestVerifier, TalktoRoute } from './signed-request.verifier.js';
import type { TalktoRouteKind } from './talkto-routes.js';
import { readSignedRequest, type SignedHttpRequest } from './signed-request.util.js';
import { TalktoRejection } from './talkto-rejection.js';
import { rememberVerified } from './verified-request.store.js';

/**
 * Lets a request through only when it is a valid Talkto-signed command, checked from the exact
 * body bytes in the protocol's order (decoding, field validation, headers and version, timestamp,
 * known source, target, allowed command, payload hash, secret, signature, then the nonce). A
 * refusal answers with the receive route's status and body; `@TalktoEnvelope()` hands the
 * verified envelope to the handler. Narrow a route with `@TalktoSignedRoute({ sources, commands })`.
 */
@Injectable()
export class TalktoSignatureGuard implements CanActivate {
  /** A route's decorators, read once per controller class and handler: metadata is fixed at boot. */
  private readonly routes = new WeakMap<object, WeakMap<object, RouteMetadata>>();

  constructor(
    @Inject(TALKTO_RESOLVED_OPTIONS) private readonly options: ResolvedTalktoOptions,
    private readonly verifier: SignedRequestVerifier,
    private readonly reflector: Reflector,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') {
      return false; // fail closed: only HTTP requests carry a signature to check
    }
    const route = this.metadataOf(context);
    const request = context.switchToHttp().getRequest<SignedHttpRequest & object>();
    const verified = await this.verifier.verify(
      await readSignedRequest(request, this.options.security),
      route.kind,
      route.options,
    );
    if ('rejected' in verified) {
      throw new TalktoRejection(verified.rejected);
    }
    rememberVerified(request, verified);
    return true;
  }

  private metadataOf(context: ExecutionContext): RouteMetadata {
    const handler = context.getHandler();
    const controller = context.getClass();
    let byHandler = this.routes.get(controller);
    if (byHandler === undefined) {
      byHandler = new WeakMap();
      this.routes.set(controller, byHandler);
    }
    let route = byHandler.get(handler);
    if (route === undefined) {
      const targets = [handler, controller];
      route = {
        kind: this.reflector.getAllAndOverride(TalktoRoute, targets),
        options: this.reflector.getAllAndOverride(TalktoSignedRoute, targets) ?? {},
      };
      byHandler.set(handler, route);
    }
    return route;
  }
}

interface RouteMetadata {
  kind: TalktoRouteKind | undefined;
  options: TalktoSignedRouteOptions;
}
