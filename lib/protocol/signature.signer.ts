import { createHmac, createSecretKey, type KeyObject } from 'node:crypto';
import { identifierText, type IdentifierInput } from './identifier.validator.js';

/** The signed components (§6). `nonce` is only signed by v2; `null` there signs an empty line. */
export interface SigningFields {
  message_id: IdentifierInput;
  timestamp: IdentifierInput;
  nonce?: IdentifierInput | null;
  source: IdentifierInput;
  target: IdentifierInput;
  command: IdentifierInput;
  payload_hash: IdentifierInput;
}

/** v1: message_id.timestamp.source.target.command.payload_hash, after checking each field in that order. */
export function v1SigningString(fields: SigningFields): string {
  return [
    identifierText(fields.message_id, 'message_id'),
    identifierText(fields.timestamp, 'timestamp'),
    identifierText(fields.source, 'source_service'),
    identifierText(fields.target, 'target_service'),
    identifierText(fields.command, 'command'),
    identifierText(fields.payload_hash, 'payload_hash'),
  ].join('.');
}

/** v2: eight LF-joined lines starting with "v2"; components are checked in signing order first. */
export function v2SigningString(fields: SigningFields): string {
  return checkedV2SigningString({
    timestamp: identifierText(fields.timestamp, 'timestamp'),
    nonce: identifierText(fields.nonce ?? '', 'nonce'),
    message_id: identifierText(fields.message_id, 'message_id'),
    source: identifierText(fields.source, 'source_service'),
    target: identifierText(fields.target, 'target_service'),
    command: identifierText(fields.command, 'command'),
    payload_hash: identifierText(fields.payload_hash, 'payload_hash'),
  });
}

/**
 * The v2 signing string of components that already passed the identifier rule (the verifier has
 * checked every body field and header before it signs); a missing nonce signs an empty line.
 */
export function checkedV2SigningString(fields: {
  timestamp: string;
  nonce?: string | null;
  message_id: string;
  source: string;
  target: string;
  command: string;
  payload_hash: string;
}): string {
  return `v2\n${fields.timestamp}\n${fields.nonce ?? ''}\n${fields.message_id}\n${fields.source}\n${fields.target}\n${fields.command}\n${fields.payload_hash}`;
}

/** Lowercase hex HMAC-SHA256 of the signing string, keyed with the secret's UTF-8 bytes. */
export function signTalkto(secret: string, signingString: string): string {
  return createHmac('sha256', secretKey(secret)).update(signingString, 'utf8').digest('hex');
}

/** Key objects for the few secrets a process uses: HMAC setup from one skips the key's encoding. */
const secretKeys = new Map<string, KeyObject>();
const SECRET_KEYS_MAX = 64;

function secretKey(secret: string): KeyObject {
  let key = secretKeys.get(secret);
  if (key === undefined) {
    if (secretKeys.size >= SECRET_KEYS_MAX) {
      secretKeys.clear();
    }
    key = createSecretKey(Buffer.from(secret, 'utf8'));
    secretKeys.set(secret, key);
  }
  return key;
}

/**
 * Constant-time, case-sensitive string equality; different lengths are simply unequal. Code units
 * are compared directly (no early exit), which also keeps two different unpaired surrogates apart.
 */
export function safeEqualHex(expected: string, provided: string): boolean {
  if (expected.length !== provided.length) {
    return false;
  }
  let difference = 0;
  for (let i = 0; i < expected.length; i++) {
    difference |= expected.charCodeAt(i) ^ provided.charCodeAt(i);
  }
  return difference === 0;
}
