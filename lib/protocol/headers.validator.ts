import { TalktoEnvelopeFieldError } from './errors/envelope-field.error.js';
import { isPrintableAscii, validateIdentifier } from './identifier.validator.js';
import {
  headerValueBytes,
  type MergedHeader,
  mergeHeaders,
  SINGULAR_HEADER_FIELDS,
  type TalktoHeaders,
} from './talkto.headers.js';

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** Configurable protocol header names; the key is the field reported when the name itself is bad. */
export interface ConfiguredHeaderNames {
  signature_version_header_name?: string;
  nonce_header_name?: string;
}

/** Names that passed, kept (bounded): requests repeat the same dozen header names. */
const tokenNames = new Set<string>();
const TOKEN_NAMES_MAX = 256;

/** Throws `header_name`-reason failure for `field` unless `name` is an RFC 7230 token. */
export function validateHeaderName(name: string, field = 'header_name'): void {
  if (tokenNames.has(name)) {
    return;
  }
  if (!TOKEN.test(name)) {
    throw new TalktoEnvelopeFieldError(field, 'header_name');
  }
  if (tokenNames.size < TOKEN_NAMES_MAX) {
    tokenNames.add(name);
  }
}

/** The last configuration seen, answered again without re-checking: it rarely changes. */
let lastConfigured: { names: ConfiguredHeaderNames; fields: Map<string, string> } | null = null;

/** Lower-cased configured header names mapped to the field they carry; bad names throw. */
function configuredHeaderFields(names: ConfiguredHeaderNames): Map<string, string> {
  const last = lastConfigured;
  if (
    last !== null &&
    last.names.signature_version_header_name === names.signature_version_header_name &&
    last.names.nonce_header_name === names.nonce_header_name
  ) {
    return last.fields;
  }
  const fields = new Map<string, string>();
  for (const [field, headerName] of Object.entries(names)) {
    if (headerName === undefined) {
      continue;
    }
    validateHeaderName(headerName, field);
    fields.set(headerName.toLowerCase(), field === 'nonce_header_name' ? 'nonce' : 'signature_version');
  }
  lastConfigured = { names: { ...names }, fields };
  return fields;
}

/**
 * Validates every header (§7.2): names are tokens, every value passes the identifier rule, and
 * singular protocol headers (built-in plus the configured version/nonce names) carry exactly one
 * value. Names differing only in case count as one header. The first failure is thrown.
 */
export function validateTalktoHeaders(
  headers: TalktoHeaders | Map<string, MergedHeader>,
  names: ConfiguredHeaderNames = {},
): void {
  const configured = configuredHeaderFields(names);
  for (const [key, header] of headers instanceof Map ? headers : mergeHeaders(headers)) {
    header.names.forEach((name) => validateHeaderName(name));
    const field = configured.get(key) ?? SINGULAR_HEADER_FIELDS.get(key);
    if (field !== undefined && header.values.length !== 1) {
      throw new TalktoEnvelopeFieldError(field, 'invalid_header_value_count');
    }
    for (const value of header.values) {
      if (typeof value !== 'string' && typeof value !== 'number') {
        throw new TalktoEnvelopeFieldError(field ?? 'header_value', 'header_value_type');
      }
      if (typeof value === 'string' && isPrintableAscii(value)) {
        continue;
      }
      validateIdentifier(headerValueBytes(value), field ?? 'header_value');
    }
  }
}
