import type { DataSource, EntityManager } from 'typeorm';
import type { TalktoClock } from '../clock/talkto.clock.js';
import type {
  TalktoEntityEventDeliveryOptions,
  TalktoEntityEventsEntry,
} from '../entity-events/interfaces/entity-events-options.interface.js';
import type { TalktoTransportOption } from '../outgoing/talkto-transport-option.interface.js';
import type { TalktoQueueOptions } from '../queue/interfaces/talkto-queue-options.interface.js';
import type { TalktoHealthOptions } from '../health/talkto-health-options.interface.js';
import type {
  TalktoMetricsOptions,
  TalktoMetricsRegistry,
} from '../metrics/talkto-metrics-options.interface.js';
import type {
  TalktoPanelActiveHealthOptions,
  TalktoPanelOptions,
} from '../panel/talkto-panel-options.interface.js';
import type { TalktoRateLimitOptions } from '../rate-limit/talkto-rate-limit-options.interface.js';
import type { TalktoRetryOptions } from '../retry/retry-options.interface.js';
import type {
  TalktoDeadLetterOptions,
  TalktoRecoveryOptions,
  TalktoRetentionOptions,
  TalktoSweeperOptions,
} from '../operations/operations-options.interface.js';

export type { TalktoQueueOptions };
export type {
  TalktoHealthOptions,
  TalktoMetricsOptions,
  TalktoMetricsRegistry,
  TalktoPanelActiveHealthOptions,
  TalktoPanelOptions,
  TalktoRateLimitOptions,
};
export type { TalktoRetryOptions, TalktoRetrySettings } from '../retry/retry-options.interface.js';
export type {
  TalktoDeadLetterOptions,
  TalktoRecoveryOptions,
  TalktoRetentionOptions,
  TalktoSweeperOptions,
} from '../operations/operations-options.interface.js';

/** A shared secret, optionally limited in time so it can be rotated without failed deliveries. */
export interface TalktoSecret {
  value: string;
  /** Not used before this instant (default: always valid). */
  notBefore?: Date | string;
  /** Not used after this instant (default: never expires). */
  notAfter?: Date | string;
}

/** One secret, or several during a rotation: verify with any valid one, sign with the newest. */
export type TalktoSecretInput = string | TalktoSecret | TalktoSecret[];

export type TalktoSignatureVersion = 'v1' | 'v2';

/** A peer this service sends commands (and result callbacks) to. */
export interface TalktoOutgoingTargetOptions {
  /** Base URL of the peer, e.g. `https://inventory.internal`. */
  baseUrl?: string;
  /** Path of the peer's receive route, joined to `baseUrl` (default `/api/talkto/receive`). */
  receiveEndpoint?: string;
  /** Full receive URL, used verbatim instead of `baseUrl` + `receiveEndpoint`. */
  receiveUrl?: string;
  /** Path of the peer's callback route (default `/api/talkto/callback`). */
  callbackEndpoint?: string;
  /** Full callback URL, used verbatim. */
  callbackUrl?: string;
  /** Secret shared with the peer for this direction. Required. */
  secret: TalktoSecretInput;
  /** Extra headers sent with every request to this peer (never a protocol header). */
  headers?: Record<string, string>;
  /** Request timeout in seconds (default `http.timeoutSeconds`, 20). */
  timeoutSeconds?: number;
  /** Signature version used for this peer (default `security.signatureVersion`, `v2`). */
  signatureVersion?: TalktoSignatureVersion;
  /** Where the panel's active health check asks (default none: the peer is never checked). */
  health?: TalktoPeerHealthCheckOptions;
}

/** The peer's own health route, for the panel's active checks (BEHAVIOR §14). */
export interface TalktoPeerHealthCheckOptions {
  /** Full URL of the peer's health route. */
  url?: string;
  /** Path joined to `baseUrl`, when `url` is not set. */
  endpoint?: string;
  /** `GET` or `HEAD` (default `GET`); any other method is reported, never sent. */
  method?: string;
  /** Seconds before the check gives up (default `panel.activeHealthChecks.timeoutSeconds`, 3). */
  timeoutSeconds?: number;
}

/** How one allowed command is received. */
export interface TalktoIncomingCommandOptions {
  /** `required` rejects messages without an idempotency key (default `optional`). */
  idempotency?: 'required' | 'optional';
  /** `none` accepts the command and completes it without a handler (default `handler`). */
  driver?: 'handler' | 'none';
}

/** A peer this service accepts commands from. */
export interface TalktoIncomingSourceOptions {
  /** Secret shared with the peer for this direction. Required. */
  secret: TalktoSecretInput;
  /** Commands this source may send: a list, or a map with per-command options (default: none). */
  allowedCommands?: string[] | Record<string, TalktoIncomingCommandOptions | true | null>;
  /** Accept any command from this source (default `false`). */
  allowAllCommands?: boolean;
}

export interface TalktoSecurityOptions {
  /** Signature version for outgoing requests (default `v2`). */
  signatureVersion?: TalktoSignatureVersion;
  /** Signature versions accepted on incoming requests (default `['v2']`). */
  acceptVersions?: TalktoSignatureVersion[];
  /** Allowed clock difference in seconds, both directions (default 300). */
  timestampToleranceSeconds?: number;
  /** Reject reused v2 nonces (default `true`). */
  replayProtection?: boolean;
  /** Reject v2 requests that carry no nonce (default `true`). */
  requireNonceForV2?: boolean;
  /** Header carrying the nonce (default `X-Talkto-Nonce`). */
  nonceHeader?: string;
  /** Header carrying the signature version (default `X-Talkto-Signature-Version`). */
  signatureVersionHeader?: string;
  /** Extra key fragments hidden in reports, traces, logs and the panel (default none; see `DEFAULT_REDACTED_KEYS`). */
  redactedKeys?: string[];
}

export interface TalktoRoutesOptions {
  /** Mount the receive and callback routes (default `true`). */
  enabled?: boolean;
  /**
   * Path prefix of both routes, below the host's global prefix (default: `api` when the app has
   * no global prefix, none when it has one, so both serve `/api/talkto/...` with `setGlobalPrefix('api')`).
   */
  prefix?: string;
  /** Receive route below the prefix (default `talkto/receive`). */
  receivePath?: string;
  /** Callback route below the prefix (default `talkto/callback`). */
  callbackPath?: string;
}

/** Result callbacks: reporting each handled command's outcome back to its sender (and receiving those reports). */
export interface TalktoCallbackOptions {
  /** Send callbacks after processing and accept them on the callback route (default `true`). */
  enabled?: boolean;
  /** Queue the callback automatically once a handler finished (default `true`). */
  autoDispatch?: boolean;
  /** Command name of callback messages; both peers must agree (default `talkto.result`). */
  command?: string;
}

export interface TalktoWorkerOptions {
  /** Parallel send jobs per process (default 4). */
  sendConcurrency?: number;
  /** Parallel handler runs per process (default 4). */
  processConcurrency?: number;
  /** How long a claim on a message is held before another worker may recover it, in seconds (default 300). */
  leaseSeconds?: number;
}

export interface TalktoModuleOptions {
  /** This service's name on the wire. Required. */
  service: string;
  /** Peers this service sends to, by service name (default none). */
  outgoing?: Record<string, TalktoOutgoingTargetOptions>;
  /** Peers this service receives from, by service name (default none). */
  incoming?: Record<string, TalktoIncomingSourceOptions>;
  /** Signing and verification settings. */
  security?: TalktoSecurityOptions;
  /** Queue driver (default `{ driver: 'in-process' }`, no Redis needed). */
  queue?: TalktoQueueOptions;
  /** The receive and callback routes. */
  routes?: TalktoRoutesOptions;
  /** Result callbacks (default: enabled, dispatched automatically, command `talkto.result`). */
  callbacks?: TalktoCallbackOptions;
  /** Worker concurrency and claim lease. */
  workers?: TalktoWorkerOptions;
  /** Default request timeout in seconds for outgoing requests (default 20). */
  http?: { timeoutSeconds?: number };
  /** Attempts per outgoing message, first send included (default 5). */
  maxAttempts?: number;
  /** Days a consumed nonce is kept (default 7). */
  nonceRetentionDays?: number;
  /** Retry policy with per-direction, per-peer and per-command layers (BEHAVIOR §6). */
  retry?: TalktoRetryOptions;
  /** Background re-dispatch of due retries, lost jobs and expired claims (default on, every 5 s). */
  sweeper?: TalktoSweeperOptions;
  /** Dead-letter storage and reprocessing (default on, 3 reprocess runs). */
  deadLetters?: TalktoDeadLetterOptions;
  /** Stale-claim recovery threshold (default 15 minutes). */
  recovery?: TalktoRecoveryOptions;
  /** Retention used by pruning (default messages 90 d, attempts 90 d, events 30 d, dead letters 180 d). */
  retention?: TalktoRetentionOptions;
  /** What to do with an allowed command that has no handler: `fail` at boot (default) or `skip` it. */
  unknownCommandStrategy?: 'fail' | 'skip';
  /**
   * The TypeORM data source holding the Talkto tables: a DataSource instance, or the name of a
   * `TypeOrmModule` connection (default: the default connection).
   */
  dataSource?: DataSource | string;
  /** Time source for timestamps, leases and retries (default: the system clock). */
  clock?: TalktoClock;
  /**
   * The host's current transaction for sends that pass no `manager`, e.g. `() => txHost.tx` with
   * @nestjs-cls/transactional (default none: such sends commit on their own).
   */
  transactionManager?: () => EntityManager | null | undefined;
  /** How requests leave: `http` (default), `loopback` (in memory, for tests), or your own transport. */
  transport?: TalktoTransportOption;
  /** Entities whose inserts, updates and removes raise events (default none; see also `@TalktoEntityEvents`). */
  entityEvents?: TalktoEntityEventsEntry[];
  /** Retries and recovery of entity event delivery. */
  entityEventDelivery?: TalktoEntityEventDeliveryOptions;
  /** Prometheus metrics and the `/metrics` route (default disabled). */
  metrics?: TalktoMetricsOptions;
  /** Thresholds of the health indicator. */
  health?: TalktoHealthOptions;
  /** Per-source rate limit of the receive and callback routes (default 120 per minute). */
  rateLimit?: TalktoRateLimitOptions;
  /** The operations panel (default disabled). */
  panel?: TalktoPanelOptions;
}
