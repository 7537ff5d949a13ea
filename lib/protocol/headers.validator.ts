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

/** Throws `header_name`-reason failure for `field` unless `name` is an RFC 7230 token. */
export function validateHeaderName(name: string, field = 'header_name'): void {
  if (!TOKEN.test(name)) {
    throw new TalktoEnvelopeFieldError(field, 'header_name');
  }
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
  const configured = new Map<string, string>();
  for (const [field, headerName] of Object.entries(names)) {
    if (headerName === undefined) {
      continue;
    }
    validateHeaderName(headerName, field);
    configured.set(headerName.toLowerCase(), field === 'nonce_header_name' ? 'nonce' : 'signature_version');
  }
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
