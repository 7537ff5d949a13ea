import { TalktoConfigurationError } from '../errors/talkto-configuration.error.js';

/** `true`: a value taken as given; a shape: an object whose keys are checked; `each`: any key, each value of the shape. */
type KeyShape = true | { readonly [key: string]: KeyShape } | { readonly each: KeyShape };

const RETRY_SETTINGS = {
  enabled: true,
  maxAttempts: true,
  backoffSeconds: true,
  jitterSeconds: true,
  retryableHttpStatuses: true,
  retryServerErrors: true,
} as const;

const ENTITY_EVENTS_WATCH = { entity: true, on: true, forward: true, redact: true } as const;

/** Every option `TalktoModule` reads; a key not here is a typo the host would never hear about. */
const OPTION_KEYS: KeyShape = {
  service: true,
  outgoing: {
    each: {
      baseUrl: true,
      receiveEndpoint: true,
      receiveUrl: true,
      callbackEndpoint: true,
      callbackUrl: true,
      secret: true,
      headers: true,
      timeoutSeconds: true,
      signatureVersion: true,
      health: { url: true, endpoint: true, method: true, timeoutSeconds: true },
    },
  },
  incoming: { each: { secret: true, allowedCommands: true, allowAllCommands: true } },
  security: {
    signatureVersion: true,
    acceptVersions: true,
    timestampToleranceSeconds: true,
    replayProtection: true,
    requireNonceForV2: true,
    nonceHeader: true,
    signatureVersionHeader: true,
    redactedKeys: true,
  },
  queue: { driver: true, redis: true, prefix: true, stopTimeoutMs: true, dispatchTimeoutMs: true },
  routes: { enabled: true, prefix: true, receivePath: true, callbackPath: true },
  callbacks: { enabled: true, autoDispatch: true, command: true },
  workers: { sendConcurrency: true, processConcurrency: true, leaseSeconds: true },
  http: { timeoutSeconds: true },
  maxAttempts: true,
  nonceRetentionDays: true,
  retry: {
    ...RETRY_SETTINGS,
    outgoing: RETRY_SETTINGS,
    incoming: RETRY_SETTINGS,
    peers: { each: RETRY_SETTINGS },
    commands: { each: RETRY_SETTINGS },
  },
  sweeper: { enabled: true, intervalMs: true, batchSize: true, graceMs: true },
  deadLetters: { enabled: true, autoStore: true, allowReprocess: true, maxReprocessAttempts: true },
  recovery: { staleAfterMinutes: true },
  retention: {
    messagesDays: true,
    attemptsDays: true,
    eventsDays: true,
    deadLettersDays: true,
    noncesDays: true,
  },
  unknownCommandStrategy: true,
  dataSource: true,
  clock: true,
  transactionManager: true,
  transport: true,
  entityEvents: { each: ENTITY_EVENTS_WATCH },
  entityEventDelivery: {
    maxAttempts: true,
    backoffSeconds: true,
    recoveryIntervalSeconds: true,
    concurrency: true,
  },
  metrics: { enabled: true, registry: true, path: true, commands: true },
  health: {
    maxStaleClaims: true,
    maxOpenDeadLetters: true,
    maxDueRetries: true,
    dueRetryGraceMinutes: true,
    pingTimeoutMs: true,
  },
  rateLimit: { enabled: true, limit: true, windowSeconds: true, limiter: true },
  panel: {
    enabled: true,
    guard: true,
    prefix: true,
    perPage: true,
    showPayload: true,
    healthWindowMinutes: true,
    activeHealthChecks: { enabled: true, timeoutSeconds: true, cacheSeconds: true },
  },
};

/** Levenshtein distance, small inputs only. */
function distance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1]!.toLowerCase() === b[j - 1]!.toLowerCase() ? 0 : 1;
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost);
    }
    previous = current;
  }
  return previous[b.length]!;
}

/** The known key closest to `key`, when it is close enough to be the one meant. */
function nearest(key: string, known: readonly string[]): string | null {
  let best: string | null = null;
  let bestDistance = Infinity;
  for (const candidate of known) {
    const d = distance(key, candidate);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best !== null && bestDistance <= Math.max(2, Math.floor(best.length / 3)) ? best : null;
}

/** Fails on the first key of `value` not in `known`, suggesting the nearest known one. */
export function rejectUnknownKeys(value: object, known: readonly string[], path: string): void {
  for (const key of Object.keys(value)) {
    if (!known.includes(key)) {
      const suggestion = nearest(key, known);
      throw new TalktoConfigurationError(
        path === '' ? key : `${path}.${key}`,
        suggestion === null
          ? `is not a Talkto option (known here: ${known.join(', ')})`
          : `is not a Talkto option; did you mean '${suggestion}'?`,
      );
    }
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return false;
  }
  const prototype = Object.getPrototypeOf(value) as unknown;
  return prototype === Object.prototype || prototype === null;
}

function check(value: unknown, shape: KeyShape, path: string): void {
  if (shape === true) {
    return;
  }
  if (Array.isArray(value) && 'each' in shape) {
    value.forEach((item, index) => check(item, shape.each as KeyShape, `${path}[${index}]`));
    return;
  }
  if (!isPlainObject(value)) {
    return; // the value's type is checked where it is resolved
  }
  if ('each' in shape) {
    for (const [key, item] of Object.entries(value)) {
      check(item, shape.each as KeyShape, `${path}.${key}`);
    }
    return;
  }
  const known = shape as Record<string, KeyShape>;
  rejectUnknownKeys(value, Object.keys(known), path);
  for (const [key, item] of Object.entries(value)) {
    check(item, known[key]!, path === '' ? key : `${path}.${key}`);
  }
}

/** Fails at boot on an option key Talkto does not read (`outgoin`, `workers.sendConcurency`). */
export function rejectUnknownOptionKeys(options: object): void {
  check(options, OPTION_KEYS, '');
}
