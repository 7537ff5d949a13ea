import type { DataSource } from 'typeorm';
import type {
  TalktoQueueOptions,
  TalktoSignatureVersion,
} from '../interfaces/talkto-module-options.interface.js';
import type { ResolvedReliabilityOptions } from '../retry/retry-settings.interface.js';

export interface ResolvedSecret {
  value: string;
  notBefore: number | null;
  notAfter: number | null;
}

export interface ResolvedOutgoingTarget {
  name: string;
  receiveUrl: string;
  callbackUrl: string | null;
  secrets: ResolvedSecret[];
  headers: Array<[string, string]>;
  timeoutMs: number;
  signatureVersion: TalktoSignatureVersion;
  /** The peer's health route for the panel's active checks, or null when none is configured. */
  health: { url: string; method: string; timeoutMs: number | null } | null;
}

export interface ResolvedIncomingCommand {
  idempotencyRequired: boolean;
  driver: 'handler' | 'none';
}

export interface ResolvedIncomingSource {
  name: string;
  secrets: ResolvedSecret[];
  allowAllCommands: boolean;
  commands: ReadonlyMap<string, ResolvedIncomingCommand>;
}

/** Module options with every default applied and every value checked; built once at boot. */
export interface ResolvedTalktoOptions extends ResolvedReliabilityOptions {
  service: string;
  outgoing: ReadonlyMap<string, ResolvedOutgoingTarget>;
  incoming: ReadonlyMap<string, ResolvedIncomingSource>;
  security: {
    signatureVersion: TalktoSignatureVersion;
    acceptVersions: TalktoSignatureVersion[];
    timestampToleranceSeconds: number;
    replayProtection: boolean;
    requireNonceForV2: boolean;
    nonceHeader: string;
    signatureVersionHeader: string;
    redactedKeys: string[];
  };
  queue: TalktoQueueOptions;
  routes: {
    enabled: boolean;
    /** The given prefix; null means the default, which depends on the host's global prefix. */
    prefix: string | null;
    /** Below the prefix, no slashes at either end. */
    receivePath: string;
    callbackPath: string;
  };
  callbacks: { enabled: boolean; autoDispatch: boolean; command: string };
  workers: { sendConcurrency: number; processConcurrency: number; leaseMs: number };
  httpTimeoutMs: number;
  maxAttempts: number;
  nonceRetentionDays: number;
  unknownCommandStrategy: 'fail' | 'skip';
  dataSource: DataSource | string | undefined;
}
