import type { CanActivate, Type } from '@nestjs/common';

/** The optional operations panel (BEHAVIOR §14). */
export interface TalktoPanelOptions {
  /** Mount the panel (default `false`). */
  enabled?: boolean;
  /**
   * Guard deciding who may use the panel; it must be resolvable from the root (global providers).
   * Without one the panel refuses to start when `NODE_ENV=production` (default none).
   */
  guard?: Type<CanActivate>;
  /** URL prefix of every panel page (default `talkto`). */
  prefix?: string;
  /** Rows per list page, 1..100 (default 25). */
  perPage?: number;
  /** Show (redacted) payloads on the message page (default `false`, as BEHAVIOR §14 has it). */
  showPayload?: boolean;
  /** Minutes of stored traffic behind each connection's passive health (default 60). */
  healthWindowMinutes?: number;
  /** Requests to each outgoing peer's configured `health` route (default off). */
  activeHealthChecks?: TalktoPanelActiveHealthOptions;
}

/** Active health checks: GET or HEAD to a peer's own health route, nothing of Talkto's sent. */
export interface TalktoPanelActiveHealthOptions {
  /** Check peers that configure `health` (default `false`). */
  enabled?: boolean;
  /** Seconds before a check gives up, unless the peer sets its own (default 3). */
  timeoutSeconds?: number;
  /** Seconds a result is reused before the page asks the peer again (default 30). */
  cacheSeconds?: number;
}
