import type {
  ResolvedIncomingSource,
  ResolvedSecret,
  ResolvedTalktoOptions,
} from '../config/resolved-options.interface.js';
import type { VerifierConfig, VerifierSource } from '../protocol/envelope.verifier.js';

const PHP_RESERVED_SOURCE = 'handlers';
const NO_COMMANDS: VerifierSource = {
  secrets: [],
  isCommandAllowed: () => false,
  isIdempotencyRequired: () => false,
};

/** Secrets valid at `nowMs`, newest first: verification accepts any, signing uses the first. */
export function activeSecrets(secrets: ResolvedSecret[], nowMs: number): string[] {
  return secrets
    .filter((secret) => (secret.notBefore ?? -Infinity) <= nowMs && nowMs <= (secret.notAfter ?? Infinity))
    .sort((a, b) => (b.notBefore ?? -Infinity) - (a.notBefore ?? -Infinity))
    .map((secret) => secret.value);
}

/**
 * Per source whose secrets have no validity window, its views by implicit command: they never
 * change, so a request need not rebuild one (null: the source has a window, views are per instant).
 */
const timelessViews = new WeakMap<ResolvedIncomingSource, Map<string | null, VerifierSource> | null>();

function verifierSource(
  source: ResolvedIncomingSource,
  nowMs: number,
  implicitCommand: string | null,
): VerifierSource {
  let views = timelessViews.get(source);
  if (views === undefined) {
    const windowed = source.secrets.some((secret) => secret.notBefore !== null || secret.notAfter !== null);
    views = windowed ? null : new Map();
    timelessViews.set(source, views);
  }
  if (views === null) return sourceView(source, nowMs, implicitCommand);
  let view = views.get(implicitCommand);
  if (view === undefined) {
    view = sourceView(source, nowMs, implicitCommand);
    views.set(implicitCommand, view);
  }
  return view;
}

function sourceView(
  source: ResolvedIncomingSource,
  nowMs: number,
  implicitCommand: string | null,
): VerifierSource {
  return {
    secrets: activeSecrets(source.secrets, nowMs),
    isCommandAllowed: (command) =>
      command === implicitCommand || source.allowAllCommands || source.commands.has(command),
    isIdempotencyRequired: (command) => source.commands.get(command)?.idempotencyRequired === true,
  };
}

/**
 * The protocol verifier's view of the module options at one instant (secrets can expire). On the
 * callback route the callback command needs no allow-list entry: a source that can sign for us may
 * report results, and the callback checks tie each report to a message we sent it.
 */
export function createVerifierConfig(
  options: ResolvedTalktoOptions,
  nowMs: number,
  route: 'command' | 'callback' = 'command',
): VerifierConfig {
  const implicitCommand = route === 'callback' ? options.callbacks.command : null;
  const { security } = options;
  return {
    service: options.service,
    acceptVersions: security.acceptVersions,
    toleranceSeconds: security.timestampToleranceSeconds,
    requireSignature: true,
    requireTimestamp: true,
    replayProtection: security.replayProtection,
    requireNonceForV2: security.requireNonceForV2,
    nonceHeader: security.nonceHeader,
    signatureVersionHeader: security.signatureVersionHeader,
    source: (name) => {
      const source = options.incoming.get(name);
      if (source) {
        return verifierSource(source, nowMs, implicitCommand);
      }
      // A PHP receiver keeps its handler map under the same config key as its sources, so a
      // request claiming source `handlers` passes the source check and fails on the command.
      return name === PHP_RESERVED_SOURCE ? NO_COMMANDS : undefined;
    },
  };
}
