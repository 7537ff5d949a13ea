import type {
  TalktoIncomingSourceOptions,
  TalktoModuleOptions,
  TalktoOutgoingTargetOptions,
  TalktoSecretInput,
  TalktoSignatureVersion,
} from '../interfaces/talkto-module-options.interface.js';
import { TalktoConfigurationError } from '../errors/talkto-configuration.error.js';
import { rejectUnknownOptionKeys } from './option-keys.js';
import { resolveReliabilityOptions } from './reliability-options.resolver.js';
import type {
  ResolvedIncomingCommand,
  ResolvedIncomingSource,
  ResolvedOutgoingTarget,
  ResolvedSecret,
  ResolvedTalktoOptions,
} from './resolved-options.interface.js';
import {
  isAbsoluteHttpUrl,
  resolveCallbackUrl,
  resolveHealthUrl,
  resolveReceiveUrl,
} from './target-url.util.js';

const SIGNATURE_VERSIONS: readonly TalktoSignatureVersion[] = ['v1', 'v2'];
// Identifier rule of the protocol: no C0 controls, DEL, U+2028 or U+2029.
// eslint-disable-next-line no-control-regex
const UNSAFE_IDENTIFIER = /[\u0000-\u001f\u007f\u2028\u2029]/;
const HEADER_TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

function serviceName(value: unknown, key: string): string {
  if (typeof value !== 'string' || value.trim() === '') {
    throw new TalktoConfigurationError(key, 'must be a non-empty string');
  }
  if (UNSAFE_IDENTIFIER.test(value) || value.length > 80) {
    throw new TalktoConfigurationError(key, 'must be at most 80 characters without control characters');
  }
  return value;
}

function positiveNumber(value: unknown, key: string, fallback: number): number {
  if (value === undefined) {
    return fallback;
  }
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new TalktoConfigurationError(key, 'must be a positive number');
  }
  return value;
}

function positiveInteger(value: unknown, key: string, fallback: number): number {
  const number = positiveNumber(value, key, fallback);
  if (!Number.isInteger(number)) {
    throw new TalktoConfigurationError(key, 'must be a positive integer');
  }
  return number;
}

function signatureVersion(
  value: unknown,
  key: string,
  fallback: TalktoSignatureVersion,
): TalktoSignatureVersion {
  if (value === undefined) {
    return fallback;
  }
  if (!SIGNATURE_VERSIONS.includes(value as TalktoSignatureVersion)) {
    throw new TalktoConfigurationError(key, "must be 'v1' or 'v2'");
  }
  return value as TalktoSignatureVersion;
}

function instant(value: Date | string | undefined, key: string): number | null {
  if (value === undefined) {
    return null;
  }
  const time = value instanceof Date ? value.getTime() : Date.parse(value);
  if (Number.isNaN(time)) {
    throw new TalktoConfigurationError(key, 'must be a valid date');
  }
  return time;
}

/** Missing secrets fail closed: a peer without a usable secret is a boot error. */
function secrets(input: TalktoSecretInput | undefined, key: string): ResolvedSecret[] {
  const list =
    typeof input === 'string' ? [{ value: input }] : Array.isArray(input) ? input : input ? [input] : [];
  if (list.length === 0) {
    throw new TalktoConfigurationError(key, 'is required');
  }
  return list.map((secret, index) => {
    const secretKey = Array.isArray(input) ? `${key}[${index}]` : key;
    if (typeof secret?.value !== 'string' || secret.value === '') {
      throw new TalktoConfigurationError(secretKey, 'must be a non-empty string');
    }
    return {
      value: secret.value,
      notBefore: instant(secret.notBefore, `${secretKey}.notBefore`),
      notAfter: instant(secret.notAfter, `${secretKey}.notAfter`),
    };
  });
}

function headerName(name: string, key: string): string {
  if (!HEADER_TOKEN.test(name)) {
    throw new TalktoConfigurationError(key, 'must be an HTTP header name (RFC 7230 token)');
  }
  return name;
}

function outgoingTarget(
  name: string,
  target: TalktoOutgoingTargetOptions,
  defaults: { timeoutMs: number; signatureVersion: TalktoSignatureVersion },
): ResolvedOutgoingTarget {
  const key = `outgoing.${name}`;
  if (typeof target !== 'object' || target === null) {
    throw new TalktoConfigurationError(key, 'must be an object');
  }
  const receiveUrl = resolveReceiveUrl(target);
  if (receiveUrl === null) {
    throw new TalktoConfigurationError(`${key}.baseUrl`, 'or receiveUrl is required');
  }
  if (!isAbsoluteHttpUrl(receiveUrl)) {
    throw new TalktoConfigurationError(`${key}.baseUrl`, 'must build an absolute http(s) URL');
  }
  const callbackUrl = resolveCallbackUrl(target);
  if (callbackUrl !== null && !isAbsoluteHttpUrl(callbackUrl)) {
    throw new TalktoConfigurationError(`${key}.callbackUrl`, 'must be an absolute http(s) URL');
  }
  const headers = Object.entries(target.headers ?? {}).map(([header, value]): [string, string] => {
    headerName(header, `${key}.headers`);
    if (typeof value !== 'string' || UNSAFE_IDENTIFIER.test(value)) {
      throw new TalktoConfigurationError(
        `${key}.headers`,
        'values must be strings without control characters',
      );
    }
    if (header.toLowerCase().startsWith('x-talkto-') || header.toLowerCase() === 'content-type') {
      throw new TalktoConfigurationError(`${key}.headers`, 'must not set a protocol header');
    }
    return [header, value];
  });
  return {
    name: serviceName(name, key),
    receiveUrl,
    callbackUrl,
    secrets: secrets(target.secret, `${key}.secret`),
    headers,
    timeoutMs:
      positiveNumber(target.timeoutSeconds, `${key}.timeoutSeconds`, defaults.timeoutMs / 1000) * 1000,
    signatureVersion: signatureVersion(
      target.signatureVersion,
      `${key}.signatureVersion`,
      defaults.signatureVersion,
    ),
    health: healthCheck(target, key),
  };
}

function healthCheck(target: TalktoOutgoingTargetOptions, key: string): ResolvedOutgoingTarget['health'] {
  if (target.health === undefined) return null;
  if (typeof target.health !== 'object' || target.health === null) {
    throw new TalktoConfigurationError(`${key}.health`, 'must be an object');
  }
  const url = resolveHealthUrl(target);
  if (url === null) {
    throw new TalktoConfigurationError(`${key}.health.url`, 'or health.endpoint with baseUrl is required');
  }
  if (!isAbsoluteHttpUrl(url)) {
    throw new TalktoConfigurationError(`${key}.health.url`, 'must be an absolute http(s) URL');
  }
  const method = target.health.method ?? 'GET';
  if (typeof method !== 'string') {
    throw new TalktoConfigurationError(`${key}.health.method`, 'must be a string');
  }
  const timeoutSeconds = target.health.timeoutSeconds;
  return {
    url,
    method: method.toUpperCase(),
    timeoutMs:
      timeoutSeconds === undefined
        ? null
        : positiveNumber(timeoutSeconds, `${key}.health.timeoutSeconds`, 3) * 1000,
  };
}

function incomingSource(name: string, source: TalktoIncomingSourceOptions): ResolvedIncomingSource {
  const key = `incoming.${name}`;
  if (typeof source !== 'object' || source === null) {
    throw new TalktoConfigurationError(key, 'must be an object');
  }
  const commands = new Map<string, ResolvedIncomingCommand>();
  const allowed = source.allowedCommands ?? [];
  const entries = Array.isArray(allowed)
    ? allowed.map((command) => [command, null] as const)
    : Object.entries(allowed);
  for (const [command, settings] of entries) {
    if (
      typeof command !== 'string' ||
      command === '' ||
      UNSAFE_IDENTIFIER.test(command) ||
      command.length > 150
    ) {
      throw new TalktoConfigurationError(
        `${key}.allowedCommands`,
        'must hold command names (≤150 characters, no control characters)',
      );
    }
    const options = typeof settings === 'object' && settings !== null ? settings : {};
    if (options.idempotency !== undefined && !['required', 'optional'].includes(options.idempotency)) {
      throw new TalktoConfigurationError(
        `${key}.allowedCommands.${command}.idempotency`,
        "must be 'required' or 'optional'",
      );
    }
    if (options.driver !== undefined && !['handler', 'none'].includes(options.driver)) {
      throw new TalktoConfigurationError(
        `${key}.allowedCommands.${command}.driver`,
        "must be 'handler' or 'none'",
      );
    }
    commands.set(command, {
      idempotencyRequired: options.idempotency === 'required',
      driver: options.driver ?? 'handler',
    });
  }
  return {
    name: serviceName(name, key),
    secrets: secrets(source.secret, `${key}.secret`),
    allowAllCommands: source.allowAllCommands === true,
    commands,
  };
}

function flag(value: unknown, key: string, fallback: boolean): boolean {
  if (value === undefined) {
    return fallback;
  }
  if (typeof value !== 'boolean') {
    throw new TalktoConfigurationError(key, 'must be a boolean');
  }
  return value;
}

function callbackCommand(value: unknown): string {
  const command = value ?? 'talkto.result';
  if (
    typeof command !== 'string' ||
    command === '' ||
    UNSAFE_IDENTIFIER.test(command) ||
    command.length > 150
  ) {
    throw new TalktoConfigurationError(
      'callbacks.command',
      'must be a command name (≤150 characters, no control characters)',
    );
  }
  return command;
}

function routePath(value: string | undefined, key: string, fallback: string): string {
  const path = value ?? fallback;
  if (typeof path !== 'string' || /[\s?#]/.test(path)) {
    throw new TalktoConfigurationError(key, 'must be a URL path');
  }
  return path.replace(/^\/+|\/+$/g, '');
}

function redactedKeys(value: unknown): string[] {
  if (value === undefined) {
    return [];
  }
  if (!Array.isArray(value) || value.some((key) => typeof key !== 'string' || key.trim() === '')) {
    throw new TalktoConfigurationError('security.redactedKeys', 'must be a list of non-empty strings');
  }
  return value as string[];
}

/** Applies every default in one place and rejects bad options with a message naming the key. */
export function resolveTalktoOptions(options: TalktoModuleOptions): ResolvedTalktoOptions {
  if (typeof options !== 'object' || options === null) {
    throw new TalktoConfigurationError('options', 'must be an object');
  }
  rejectUnknownOptionKeys(options);
  const security = options.security ?? {};
  const httpTimeoutMs = positiveNumber(options.http?.timeoutSeconds, 'http.timeoutSeconds', 20) * 1000;
  const outgoingVersion = signatureVersion(security.signatureVersion, 'security.signatureVersion', 'v2');
  const acceptVersions = security.acceptVersions ?? ['v2'];
  if (!Array.isArray(acceptVersions) || acceptVersions.length === 0) {
    throw new TalktoConfigurationError('security.acceptVersions', "must list 'v1' and/or 'v2'");
  }
  acceptVersions.forEach((version) => signatureVersion(version, 'security.acceptVersions', 'v2'));

  const queue = options.queue ?? { driver: 'in-process' };
  if (queue.driver !== 'in-process' && queue.driver !== 'bull' && queue.driver !== 'bullmq') {
    throw new TalktoConfigurationError('queue.driver', "must be 'in-process', 'bull' or 'bullmq'");
  }
  const strategy = options.unknownCommandStrategy ?? 'fail';
  if (strategy !== 'fail' && strategy !== 'skip') {
    throw new TalktoConfigurationError('unknownCommandStrategy', "must be 'fail' or 'skip'");
  }

  return {
    service: serviceName(options.service, 'service'),
    outgoing: new Map(
      Object.entries(options.outgoing ?? {}).map(([name, target]) => [
        name,
        outgoingTarget(name, target, { timeoutMs: httpTimeoutMs, signatureVersion: outgoingVersion }),
      ]),
    ),
    incoming: new Map(
      Object.entries(options.incoming ?? {}).map(([name, source]) => [name, incomingSource(name, source)]),
    ),
    security: {
      signatureVersion: outgoingVersion,
      acceptVersions: [...new Set(acceptVersions)],
      timestampToleranceSeconds: positiveInteger(
        security.timestampToleranceSeconds,
        'security.timestampToleranceSeconds',
        300,
      ),
      replayProtection: security.replayProtection ?? true,
      requireNonceForV2: security.requireNonceForV2 ?? true,
      nonceHeader: headerName(security.nonceHeader ?? 'X-Talkto-Nonce', 'security.nonceHeader'),
      signatureVersionHeader: headerName(
        security.signatureVersionHeader ?? 'X-Talkto-Signature-Version',
        'security.signatureVersionHeader',
      ),
      redactedKeys: redactedKeys(security.redactedKeys),
    },
    queue,
    routes: {
      enabled: options.routes?.enabled ?? true,
      prefix:
        options.routes?.prefix === undefined ? null : routePath(options.routes.prefix, 'routes.prefix', ''),
      receivePath: routePath(options.routes?.receivePath, 'routes.receivePath', 'talkto/receive'),
      callbackPath: routePath(options.routes?.callbackPath, 'routes.callbackPath', 'talkto/callback'),
    },
    callbacks: {
      enabled: flag(options.callbacks?.enabled, 'callbacks.enabled', true),
      autoDispatch: flag(options.callbacks?.autoDispatch, 'callbacks.autoDispatch', true),
      command: callbackCommand(options.callbacks?.command),
    },
    workers: {
      sendConcurrency: positiveInteger(options.workers?.sendConcurrency, 'workers.sendConcurrency', 4),
      processConcurrency: positiveInteger(
        options.workers?.processConcurrency,
        'workers.processConcurrency',
        4,
      ),
      leaseMs: positiveNumber(options.workers?.leaseSeconds, 'workers.leaseSeconds', 300) * 1000,
    },
    httpTimeoutMs,
    maxAttempts: positiveInteger(options.maxAttempts, 'maxAttempts', 5),
    nonceRetentionDays: positiveInteger(options.nonceRetentionDays, 'nonceRetentionDays', 7),
    unknownCommandStrategy: strategy,
    dataSource: options.dataSource,
    ...resolveReliabilityOptions(options),
  };
}
