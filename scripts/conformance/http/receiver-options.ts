import type {
  TalktoIncomingSourceOptions,
  TalktoModuleOptions,
  TalktoOutgoingTargetOptions,
  TalktoSignatureVersion,
} from '../../../lib/index.js';
import { receiverOf } from '../envelopes.check.js';

type Json = Record<string, unknown>;

/** A receiver setting of a case that our module options cannot express: the case must fail, not pass by luck. */
export class UnmappableSettingError extends Error {
  constructor(key: string, value: unknown, why: string) {
    super(`receiver setting ${key}=${JSON.stringify(value)} cannot be mapped to our options: ${why}`);
  }
}

/** Module options being built from Laravel Talkto config keys. */
interface Draft {
  options: TalktoModuleOptions;
  incoming: Record<string, Partial<TalktoIncomingSourceOptions>>;
  outgoing: Record<string, Partial<TalktoOutgoingTargetOptions>>;
}

type Apply = (draft: Draft, value: unknown, name: string, key: string) => void;

/** Config values that are objects of their own (not groups of further keys). */
const OBJECT_VALUES = new Set(['allowed_commands', 'headers', 'handlers']);

const bool = (key: string, value: unknown): boolean => {
  if (typeof value === 'boolean') return value;
  throw new UnmappableSettingError(key, value, 'expected true or false');
};
const num = (key: string, value: unknown): number => {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  throw new UnmappableSettingError(key, value, 'expected a number');
};
const str = (key: string, value: unknown): string => {
  if (typeof value === 'string') return value;
  throw new UnmappableSettingError(key, value, 'expected a string');
};
const list = (key: string, value: unknown): string[] => {
  if (typeof value === 'string')
    return value
      .split(',')
      .map((item) => item.trim())
      .filter(Boolean);
  if (Array.isArray(value)) return value.map(String);
  throw new UnmappableSettingError(key, value, 'expected a list');
};
const only =
  (wanted: unknown, why: string): Apply =>
  (_draft, value, _name, key) => {
    if (value !== wanted) throw new UnmappableSettingError(key, value, why);
  };
const ignored: Apply = () => undefined;
const security = (draft: Draft) => (draft.options.security ??= {});
const retry = (draft: Draft) => (draft.options.retry ??= {});
const deadLetters = (draft: Draft) => (draft.options.deadLetters ??= {});
const retention = (draft: Draft) => (draft.options.retention ??= {});
const routes = (draft: Draft) => (draft.options.routes ??= {});
const rateLimit = (draft: Draft) => (draft.options.rateLimit ??= {});
const callbacks = (draft: Draft) => (draft.options.callbacks ??= {});
const source = (draft: Draft, name: string) => (draft.incoming[name] ??= {});
const target = (draft: Draft, name: string) => (draft.outgoing[name] ??= {});

/**
 * Every Laravel Talkto setting (BEHAVIOR §18) a receiver's answers can depend on, as our module
 * options. `(name)` in a key is a peer's service name. A key missing here is not mappable.
 */
const SETTINGS: ReadonlyArray<[key: string, apply: Apply]> = [
  ['talkto.service', (d, v, _n, k) => void (d.options.service = str(k, v))],
  ['talkto.security.require_signature', only(true, 'our receiver always requires signatures')],
  // Only read in unsigned mode, which we never run (BEHAVIOR §18).
  ['talkto.security.require_timestamp', ignored],
  ['talkto.security.algorithm', only('sha256', 'we sign with HMAC-SHA256 only')],
  [
    'talkto.security.signature_version',
    (d, v, _n, k) => void (security(d).signatureVersion = str(k, v) as TalktoSignatureVersion),
  ],
  [
    'talkto.security.accept_versions',
    (d, v, _n, k) => void (security(d).acceptVersions = list(k, v) as TalktoSignatureVersion[]),
  ],
  [
    'talkto.security.timestamp_tolerance_seconds',
    (d, v, _n, k) => void (security(d).timestampToleranceSeconds = num(k, v)),
  ],
  [
    'talkto.security.replay_protection.enabled',
    (d, v, _n, k) => void (security(d).replayProtection = bool(k, v)),
  ],
  // Informational in the package: duplicates are always found by message id.
  ['talkto.security.replay_protection.use_message_id', ignored],
  [
    'talkto.security.replay_protection.require_nonce_for_v2',
    (d, v, _n, k) => void (security(d).requireNonceForV2 = bool(k, v)),
  ],
  ['talkto.security.nonce_header', (d, v, _n, k) => void (security(d).nonceHeader = str(k, v))],
  [
    'talkto.security.signature_version_header',
    (d, v, _n, k) => void (security(d).signatureVersionHeader = str(k, v)),
  ],
  ['talkto.security.redacted_keys', (d, v, _n, k) => void (security(d).redactedKeys = list(k, v))],
  ['talkto.http.timeout_seconds', (d, v, _n, k) => void (d.options.http = { timeoutSeconds: num(k, v) })],
  ['talkto.callbacks.enabled', (d, v, _n, k) => void (callbacks(d).enabled = bool(k, v))],
  ['talkto.callbacks.auto_dispatch', (d, v, _n, k) => void (callbacks(d).autoDispatch = bool(k, v))],
  ['talkto.callbacks.command', (d, v, _n, k) => void (callbacks(d).command = str(k, v))],
  ['talkto.routes.enabled', (d, v, _n, k) => void (routes(d).enabled = bool(k, v))],
  ['talkto.routes.prefix', (d, v, _n, k) => void (routes(d).prefix = str(k, v))],
  ['talkto.routes.receive_uri', (d, v, _n, k) => void (routes(d).receivePath = str(k, v))],
  ['talkto.routes.callback_uri', (d, v, _n, k) => void (routes(d).callbackPath = str(k, v))],
  ['talkto.routes.rate_limit.enabled', (d, v, _n, k) => void (rateLimit(d).enabled = bool(k, v))],
  ['talkto.routes.rate_limit.max_attempts', (d, v, _n, k) => void (rateLimit(d).limit = num(k, v))],
  [
    'talkto.routes.rate_limit.decay_minutes',
    (d, v, _n, k) => void (rateLimit(d).windowSeconds = num(k, v) * 60),
  ],
  // PHP handler classes: every allowed command completes without a handler here.
  ['talkto.incoming.handlers', ignored],
  [
    'talkto.incoming.unknown_command_strategy',
    (d, v, _n, k) => void (d.options.unknownCommandStrategy = str(k, v) === 'skip' ? 'skip' : 'fail'),
  ],
  ['talkto.incoming.(name).secret', (d, v, n, k) => void (source(d, n).secret = str(k, v))],
  ['talkto.incoming.(name).signing_secret', (d, v, n, k) => void (source(d, n).secret ??= str(k, v))],
  [
    'talkto.incoming.(name).allowed_commands',
    (d, v, n) => void (source(d, n).allowedCommands = allowedCommands(v)),
  ],
  [
    'talkto.incoming.(name).allow_all_commands',
    (d, v, n, k) => void (source(d, n).allowAllCommands = bool(k, v)),
  ],
  ['talkto.outgoing.(name).base_url', (d, v, n, k) => void (target(d, n).baseUrl = str(k, v))],
  ['talkto.outgoing.(name).url', (d, v, n, k) => void (target(d, n).baseUrl ??= str(k, v))],
  [
    'talkto.outgoing.(name).receive_endpoint',
    (d, v, n, k) => void (target(d, n).receiveEndpoint = str(k, v)),
  ],
  ['talkto.outgoing.(name).endpoint', (d, v, n, k) => void (target(d, n).receiveEndpoint ??= str(k, v))],
  [
    'talkto.outgoing.(name).callback_endpoint',
    (d, v, n, k) => void (target(d, n).callbackEndpoint = str(k, v)),
  ],
  ['talkto.outgoing.(name).receive_url', (d, v, n, k) => void (target(d, n).receiveUrl = str(k, v))],
  ['talkto.outgoing.(name).callback_url', (d, v, n, k) => void (target(d, n).callbackUrl = str(k, v))],
  ['talkto.outgoing.(name).secret', (d, v, n, k) => void (target(d, n).secret = str(k, v))],
  ['talkto.outgoing.(name).signing_secret', (d, v, n, k) => void (target(d, n).secret ??= str(k, v))],
  ['talkto.outgoing.(name).headers', (d, v, n) => void (target(d, n).headers = v as Record<string, string>)],
  ['talkto.outgoing.(name).timeout', (d, v, n, k) => void (target(d, n).timeoutSeconds = num(k, v))],
  [
    'talkto.outgoing.(name).timeout_seconds',
    (d, v, n, k) => void (target(d, n).timeoutSeconds ??= num(k, v)),
  ],
  // Informational in the package (BEHAVIOR §4.7).
  ['talkto.outgoing.(name).mode', ignored],
  ['talkto.outgoing.(name).transport', ignored],
  ['talkto.retry.enabled', (d, v, _n, k) => void (retry(d).enabled = bool(k, v))],
  ['talkto.retry.max_attempts', (d, v, _n, k) => void (retry(d).maxAttempts = num(k, v))],
  ['talkto.retry.backoff_seconds', (d, v, _n, k) => void (retry(d).backoffSeconds = list(k, v).map(Number))],
  ['talkto.retry.jitter_seconds', (d, v, _n, k) => void (retry(d).jitterSeconds = num(k, v))],
  [
    'talkto.retry.retryable_http_statuses',
    (d, v, _n, k) => void (retry(d).retryableHttpStatuses = list(k, v).map(Number)),
  ],
  ['talkto.retry.retry_server_errors', (d, v, _n, k) => void (retry(d).retryServerErrors = bool(k, v))],
  [
    'talkto.retry.incoming_enabled',
    (d, v, _n, k) => void (retry(d).incoming = { ...retry(d).incoming, enabled: bool(k, v) }),
  ],
  [
    'talkto.retry.outgoing_enabled',
    (d, v, _n, k) => void (retry(d).outgoing = { ...retry(d).outgoing, enabled: bool(k, v) }),
  ],
  ['talkto.dead_letter.enabled', (d, v, _n, k) => void (deadLetters(d).enabled = bool(k, v))],
  [
    'talkto.dead_letter.auto_store_on_final_failure',
    (d, v, _n, k) => void (deadLetters(d).autoStore = bool(k, v)),
  ],
  ['talkto.dead_letter.allow_reprocess', (d, v, _n, k) => void (deadLetters(d).allowReprocess = bool(k, v))],
  [
    'talkto.dead_letter.max_reprocess_attempts',
    (d, v, _n, k) => void (deadLetters(d).maxReprocessAttempts = num(k, v)),
  ],
  [
    'talkto.recovery.stale_after_minutes',
    (d, v, _n, k) => void (d.options.recovery = { staleAfterMinutes: num(k, v) }),
  ],
  ['talkto.retention.messages_days', (d, v, _n, k) => void (retention(d).messagesDays = num(k, v))],
  ['talkto.retention.attempts_days', (d, v, _n, k) => void (retention(d).attemptsDays = num(k, v))],
  ['talkto.retention.events_days', (d, v, _n, k) => void (retention(d).eventsDays = num(k, v))],
  ['talkto.retention.dead_letters_days', (d, v, _n, k) => void (retention(d).deadLettersDays = num(k, v))],
  ['talkto.retention.nonces_days', (d, v, _n, k) => void (d.options.nonceRetentionDays = num(k, v))],
];

const MATCHERS = SETTINGS.map(([key, apply]) => {
  const pattern = key.replaceAll('.', '\\.').replace('(name)', '([^.]+)');
  return { pattern: new RegExp(`^${pattern}$`), apply };
});

/** `allowed_commands` as module options; every command completes without a handler here. */
function allowedCommands(allowed: unknown): TalktoIncomingSourceOptions['allowedCommands'] {
  if (Array.isArray(allowed)) {
    return Object.fromEntries(allowed.map((command: string) => [command, { driver: 'none' as const }]));
  }
  if (allowed === null || typeof allowed !== 'object') {
    return {};
  }
  return Object.fromEntries(
    Object.entries(allowed as Json).map(([command, settings]) => [
      command,
      {
        driver: 'none' as const,
        idempotency: (settings as Json | null)?.idempotency === 'required' ? 'required' : 'optional',
      },
    ]),
  );
}

/** Config as dotted keys: `{"a.b": {"c": 1}}` and `{"a.b.c": 1}` say the same thing. */
function flatten(entries: Json, prefix = '', into = new Map<string, unknown>()): Map<string, unknown> {
  for (const [key, value] of Object.entries(entries)) {
    const path = prefix + key;
    const leaf = path.slice(path.lastIndexOf('.') + 1);
    if (value !== null && typeof value === 'object' && !Array.isArray(value) && !OBJECT_VALUES.has(leaf)) {
      flatten(value as Json, `${path}.`, into);
    } else {
      into.set(path, value);
    }
  }
  return into;
}

/**
 * The module options of the service a case is delivered to: the receiver described by
 * `receiver_configuration`, with the case's overrides, accepted versions and source secret. A
 * setting we cannot honour throws `UnmappableSettingError`; the clock is set per case by the caller.
 */
export function receiverOptionsFor(configuration: Json, vector: Json): TalktoModuleOptions {
  const request = vector.request as Json;
  const receiver = receiverOf(configuration, request.url as string);
  const settings = new Map([...flatten(receiver)].filter(([key]) => key.startsWith('talkto.')));
  for (const [key, value] of Object.entries((vector.receiver_config_overrides ?? {}) as Json)) {
    // An override replaces its key, and a whole group when it names one.
    for (const known of [...settings.keys()]) {
      if (known === key || known.startsWith(`${key}.`)) settings.delete(known);
    }
    for (const [leaf, leafValue] of flatten({ [key]: value })) settings.set(leaf, leafValue);
  }
  if (vector.receiver_accept_versions != null) {
    settings.set('talkto.security.accept_versions', vector.receiver_accept_versions);
  }
  const draft: Draft = { options: { service: '' }, incoming: {}, outgoing: {} };
  for (const [key, value] of settings) {
    const matcher = MATCHERS.map(({ pattern, apply }) => ({ match: pattern.exec(key), apply })).find(
      ({ match }) => match !== null,
    );
    if (!matcher) throw new UnmappableSettingError(key, value, 'no module option says this');
    matcher.apply(draft, value, matcher.match![1] ?? '', key);
  }
  // The case's `secret` is what this receiver holds for the request's own source.
  const bodySource = sourceOf(request);
  if (bodySource !== null && typeof vector.secret === 'string' && draft.incoming[bodySource]) {
    draft.incoming[bodySource].secret = vector.secret;
  }
  return {
    ...draft.options,
    incoming: Object.fromEntries(
      Object.entries(draft.incoming).map(([name, entry]) => [
        name,
        { ...entry, secret: String(entry.secret) },
      ]),
    ),
    outgoing: Object.fromEntries(
      Object.entries(draft.outgoing).map(([name, entry]) => [
        name,
        { ...entry, secret: String(entry.secret) },
      ]),
    ),
    // The stored state is what answers depend on; the runner never lets work run in the background.
    sweeper: { enabled: false },
  };
}

function sourceOf(request: Json): string | null {
  try {
    const body = JSON.parse(String(request.body ?? '')) as Json;
    return typeof body?.source === 'string' ? body.source : null;
  } catch {
    return null;
  }
}
