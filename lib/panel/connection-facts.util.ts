import type {
  ResolvedIncomingSource,
  ResolvedOutgoingTarget,
  ResolvedTalktoOptions,
} from '../config/resolved-options.interface.js';
import type { PanelDirection } from './panel.queries.js';

export const ACTIVE_HEALTH_METHODS = ['GET', 'HEAD'];

/** What the configuration says about one peer in one direction (BEHAVIOR §14); never a secret. */
export interface ConnectionFacts {
  direction: PanelDirection;
  service: string;
  configured: boolean;
  urlConfigured: boolean;
  secretConfigured: boolean;
  /** Receive URL of an outgoing peer, query values redacted. */
  endpoint: string | null;
  /** Commands an incoming peer may send, sorted; `['*']` when it may send any. */
  commands: string[];
  warnings: string[];
  meta: Record<string, string | number>;
  /** The outgoing peer's health route, query values redacted, or null. */
  healthUrl: string | null;
  healthMethod: string | null;
}

/** The URL without credentials, every query value replaced: enough to recognise, nothing to reuse. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.username = '';
    parsed.password = '';
    for (const key of new Set(parsed.searchParams.keys())) parsed.searchParams.set(key, 'redacted');
    return parsed.toString();
  } catch {
    return '[unreadable URL]';
  }
}

function outgoingFacts(target: ResolvedOutgoingTarget, transport: string): ConnectionFacts {
  const warnings: string[] = [];
  if (target.health && !ACTIVE_HEALTH_METHODS.includes(target.health.method)) {
    warnings.push('unsupported_active_health_method');
  }
  const meta: Record<string, string | number> = {
    callback_url: target.callbackUrl
      ? redactUrl(target.callbackUrl)
      : 'not resolved (set baseUrl or callbackUrl)',
    transport,
    timeout_seconds: target.timeoutMs / 1000,
    signature_version: target.signatureVersion,
  };
  if (target.headers.length > 0) meta.extra_headers = target.headers.map(([name]) => name).join(', ');
  return {
    direction: 'outgoing',
    service: target.name,
    configured: true,
    urlConfigured: true,
    secretConfigured: target.secrets.length > 0,
    endpoint: redactUrl(target.receiveUrl),
    commands: [],
    warnings,
    meta,
    healthUrl: target.health ? redactUrl(target.health.url) : null,
    healthMethod: target.health?.method ?? null,
  };
}

function incomingFacts(source: ResolvedIncomingSource): ConnectionFacts {
  const commands = source.allowAllCommands ? ['*'] : [...source.commands.keys()].sort();
  const warnings = commands.length === 0 ? ['missing_allowed_commands'] : [];
  return {
    direction: 'incoming',
    service: source.name,
    configured: true,
    urlConfigured: false,
    secretConfigured: source.secrets.length > 0,
    endpoint: null,
    commands,
    warnings,
    meta: { secrets: source.secrets.length },
    healthUrl: null,
    healthMethod: null,
  };
}

/** Every configured peer, outgoing first, by name; `transport` names how requests leave. */
export function connectionFacts(options: ResolvedTalktoOptions, transport: string): ConnectionFacts[] {
  const byName = <T extends { name: string }>(peers: Iterable<T>) =>
    [...peers].sort((a, b) => a.name.localeCompare(b.name));
  return [
    ...byName(options.outgoing.values()).map((target) => outgoingFacts(target, transport)),
    ...byName(options.incoming.values()).map(incomingFacts),
  ];
}
