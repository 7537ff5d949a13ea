import type {
  TalktoIncomingSourceOptions,
  TalktoModuleOptions,
  TalktoSignatureVersion,
} from '../../../lib/index.js';
import { receiverOf, setting } from '../envelopes.check.js';

type Json = Record<string, unknown>;

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

/**
 * The module options of the service a case is delivered to: the receiver described by
 * `receiver_configuration`, with the case's accepted versions, overrides and source secret. The
 * clock is set per case by the caller.
 */
export function receiverOptionsFor(configuration: Json, vector: Json): TalktoModuleOptions {
  const request = vector.request as Json;
  const receiver = receiverOf(configuration, request.url as string);
  const overrides = (vector.receiver_config_overrides ?? {}) as Json;
  const get = (key: string, fallback: unknown): unknown => setting(receiver, overrides, key, fallback);
  const bodySource = (() => {
    try {
      const body = JSON.parse(String(request.body ?? '')) as Json;
      return typeof body?.source === 'string' ? body.source : null;
    } catch {
      return null;
    }
  })();
  const incoming: Record<string, TalktoIncomingSourceOptions> = {};
  for (const [key, value] of Object.entries(receiver)) {
    if (!key.startsWith('talkto.incoming.')) {
      continue;
    }
    const name = key.slice('talkto.incoming.'.length);
    const entry = value as Json;
    // The case's `secret` is what this receiver holds for the request's own source.
    const secret = name === bodySource && typeof vector.secret === 'string' ? vector.secret : entry.secret;
    incoming[name] = { secret: String(secret), allowedCommands: allowedCommands(entry.allowed_commands) };
  }
  return {
    service: receiver['talkto.service'] as string,
    incoming,
    security: {
      acceptVersions: (vector.receiver_accept_versions ??
        get('talkto.security.accept_versions', ['v2'])) as TalktoSignatureVersion[],
      timestampToleranceSeconds: Number(get('talkto.security.timestamp_tolerance_seconds', 300)),
      replayProtection: get('talkto.security.replay_protection.enabled', true) === true,
      requireNonceForV2: get('talkto.security.replay_protection.require_nonce_for_v2', true) === true,
      ...(typeof get('talkto.security.nonce_header', null) === 'string'
        ? { nonceHeader: get('talkto.security.nonce_header', null) as string }
        : {}),
      ...(typeof get('talkto.security.signature_version_header', null) === 'string'
        ? { signatureVersionHeader: get('talkto.security.signature_version_header', null) as string }
        : {}),
    },
    // Only the HTTP answers are compared; callbacks of processed commands would go nowhere.
    callbacks: { autoDispatch: false },
  };
}
