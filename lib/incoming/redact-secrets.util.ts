import type { ResolvedTalktoOptions } from '../config/resolved-options.interface.js';

/** Every configured secret value, longest first, so overlapping secrets are masked whole. */
export function collectSecrets(options: ResolvedTalktoOptions): string[] {
  const peers = [...options.incoming.values(), ...options.outgoing.values()];
  return [...new Set(peers.flatMap((peer) => peer.secrets.map((secret) => secret.value)))].sort(
    (a, b) => b.length - a.length,
  );
}

/** Masks secrets inside free text (handler errors end up in storage, logs and callbacks). */
export function redactSecrets(text: string, secrets: readonly string[]): string {
  return secrets.reduce((result, secret) => result.split(secret).join('[redacted]'), text);
}
