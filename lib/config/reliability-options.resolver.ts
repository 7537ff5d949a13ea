import { TalktoConfigurationError } from '../errors/talkto-configuration.error.js';
import type { TalktoModuleOptions } from '../interfaces/talkto-module-options.interface.js';
import type { TalktoRetrySettings } from '../retry/retry-options.interface.js';
import type {
  ResolvedReliabilityOptions,
  RetryLayer,
  RetrySettings,
} from '../retry/retry-settings.interface.js';

const DEFAULT_BACKOFF = [10, 30, 60, 120, 300];
const DEFAULT_HTTP_STATUSES = [408, 425, 429];
const LAYER_KEYS = new Set([
  'enabled',
  'maxAttempts',
  'backoffSeconds',
  'jitterSeconds',
  'retryableHttpStatuses',
  'retryServerErrors',
]);

function object(value: unknown, key: string): Record<string, unknown> {
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TalktoConfigurationError(key, 'must be an object');
  }
  return value as Record<string, unknown>;
}

function bool(value: unknown, key: string): boolean | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'boolean') throw new TalktoConfigurationError(key, 'must be a boolean');
  return value;
}

function integer(value: unknown, key: string, min: number): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw new TalktoConfigurationError(key, `must be an integer ≥ ${min}`);
  }
  return value;
}

function integerList(value: unknown, key: string, min: number, max: number): number[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || value.length === 0) {
    throw new TalktoConfigurationError(key, 'must be a non-empty list of integers');
  }
  value.forEach((item, index) => {
    if (typeof item !== 'number' || !Number.isInteger(item) || item < min || item > max) {
      throw new TalktoConfigurationError(`${key}[${index}]`, `must be an integer between ${min} and ${max}`);
    }
  });
  return value as number[];
}

/** Checks one layer; unknown keys are typos and fail rather than being ignored. */
function retryLayer(input: TalktoRetrySettings | undefined, key: string): RetryLayer {
  const raw = object(input, key);
  for (const name of Object.keys(raw)) {
    if (!LAYER_KEYS.has(name)) throw new TalktoConfigurationError(`${key}.${name}`, 'is not a retry setting');
  }
  const layer: RetryLayer = {
    enabled: bool(raw.enabled, `${key}.enabled`),
    maxAttempts: integer(raw.maxAttempts, `${key}.maxAttempts`, 1),
    backoffSeconds: integerList(raw.backoffSeconds, `${key}.backoffSeconds`, 0, 31_536_000),
    jitterSeconds: integer(raw.jitterSeconds, `${key}.jitterSeconds`, 0),
    retryableHttpStatuses: integerList(raw.retryableHttpStatuses, `${key}.retryableHttpStatuses`, 100, 599),
    retryServerErrors: bool(raw.retryServerErrors, `${key}.retryServerErrors`),
  };
  if (layer.retryableHttpStatuses) layer.retryableHttpStatuses = [...new Set(layer.retryableHttpStatuses)];
  return Object.fromEntries(Object.entries(layer).filter(([, value]) => value !== undefined));
}

function named(input: unknown, key: string): Map<string, RetryLayer> {
  return new Map(
    Object.entries(object(input, key)).map(([name, layer]) => [
      name,
      retryLayer(layer as TalktoRetrySettings, `${key}.${name}`),
    ]),
  );
}

function days(value: unknown, key: string, fallback: number): number {
  return integer(value, key, 1) ?? fallback;
}

/** Retry, sweeper, dead-letter, recovery and retention options with their defaults (BEHAVIOR §6–§9). */
export function resolveReliabilityOptions(options: TalktoModuleOptions): ResolvedReliabilityOptions {
  const retry = object(options.retry, 'retry');
  const { outgoing, incoming, peers, commands, ...baseInput } = retry;
  const base = retryLayer(baseInput as TalktoRetrySettings, 'retry');
  const outgoingLayer = retryLayer(outgoing as TalktoRetrySettings, 'retry.outgoing');
  const incomingLayer = retryLayer(incoming as TalktoRetrySettings, 'retry.incoming');
  const settings: RetrySettings = {
    enabled: base.enabled ?? true,
    outgoingEnabled: outgoingLayer.enabled ?? true,
    incomingEnabled: incomingLayer.enabled ?? false,
    // The top-level `maxAttempts` predates the retry options and still counts as the base.
    maxAttempts: base.maxAttempts ?? integer(options.maxAttempts, 'maxAttempts', 1) ?? 5,
    backoffSeconds: base.backoffSeconds ?? DEFAULT_BACKOFF,
    jitterSeconds: base.jitterSeconds ?? 0,
    retryableHttpStatuses: base.retryableHttpStatuses ?? DEFAULT_HTTP_STATUSES,
    retryServerErrors: base.retryServerErrors ?? true,
  };
  // The direction switch lives in outgoingEnabled/incomingEnabled, not in the layer's `enabled`.
  delete outgoingLayer.enabled;
  delete incomingLayer.enabled;

  const sweeper = object(options.sweeper, 'sweeper');
  const deadLetters = object(options.deadLetters, 'deadLetters');
  const recovery = object(options.recovery, 'recovery');
  const retention = object(options.retention, 'retention');
  return {
    retry: {
      base: settings,
      outgoing: outgoingLayer,
      incoming: incomingLayer,
      peers: named(peers, 'retry.peers'),
      commands: named(commands, 'retry.commands'),
    },
    sweeper: {
      enabled: bool(sweeper.enabled, 'sweeper.enabled') ?? true,
      intervalMs: integer(sweeper.intervalMs, 'sweeper.intervalMs', 10) ?? 5000,
      batchSize: integer(sweeper.batchSize, 'sweeper.batchSize', 1) ?? 100,
      graceMs: integer(sweeper.graceMs, 'sweeper.graceMs', 0) ?? 15_000,
    },
    deadLetters: {
      enabled: bool(deadLetters.enabled, 'deadLetters.enabled') ?? true,
      autoStore: bool(deadLetters.autoStore, 'deadLetters.autoStore') ?? true,
      allowReprocess: bool(deadLetters.allowReprocess, 'deadLetters.allowReprocess') ?? true,
      maxReprocessAttempts:
        integer(deadLetters.maxReprocessAttempts, 'deadLetters.maxReprocessAttempts', 0) ?? 3,
    },
    recovery: {
      staleAfterMinutes: integer(recovery.staleAfterMinutes, 'recovery.staleAfterMinutes', 1) ?? 15,
    },
    retention: {
      messagesDays: days(retention.messagesDays, 'retention.messagesDays', 90),
      attemptsDays: days(retention.attemptsDays, 'retention.attemptsDays', 90),
      eventsDays: days(retention.eventsDays, 'retention.eventsDays', 30),
      deadLettersDays: days(retention.deadLettersDays, 'retention.deadLettersDays', 180),
      noncesDays: days(retention.noncesDays, 'retention.noncesDays', options.nonceRetentionDays ?? 7),
    },
  };
}
