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
  /** Show (redacted) payloads on the message page (default `true`). */
  showPayload?: boolean;
}
