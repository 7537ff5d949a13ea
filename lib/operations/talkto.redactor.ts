/** Key fragments whose values are never shown (BEHAVIOR §11.5); matched as substrings after normalising. */
export const DEFAULT_REDACTED_KEYS: readonly string[] = [
  'secret',
  'token',
  'password',
  'signature',
  'authorization',
  'api_key',
  'key',
  'private_key',
  'bearer',
];

/** Header names hidden in header maps on top of the key list. */
const REDACTED_HEADER_KEYS = [
  'authorization',
  'x_talkto_signature',
  'x_talkto_nonce',
  'cookie',
  'set_cookie',
];

export const REDACTED = '[redacted]';

const TEXT_KEYS =
  'authorization|x-talkto-signature|x-talkto-nonce|cookie|set-cookie|signature|api[_-]key|token|password|private_key|bearer|secret';
const HEADER_LINE = /\b(Authorization|X-Talkto-Signature|X-Talkto-Nonce|Cookie|Set-Cookie)\s*:[^\r\n]*/gi;
const BEARER = /\bBearer\s+[A-Za-z0-9\-._~+/=]+/gi;
const JSON_PAIR = new RegExp(`("(?:${TEXT_KEYS})"\\s*:\\s*)"(?:[^"\\\\]|\\\\.)*"`, 'gi');
const QUOTED_ARROW_PAIR = new RegExp(`('(?:${TEXT_KEYS})'\\s*=>\\s*)'(?:[^'\\\\]|\\\\.)*'`, 'gi');
const PLAIN_PAIR = new RegExp(`\\b((?:${TEXT_KEYS})\\s*[=:]\\s*)(?!\\[redacted\\])[^\\s,;&"']+`, 'gi');

export interface TalktoRedactorOptions {
  /** Extra key fragments on top of `DEFAULT_REDACTED_KEYS`. */
  keys?: readonly string[];
  /** Literal secret values masked wherever they appear in text. */
  secrets?: readonly string[];
}

/** What a hidden payload looks like: its top-level keys, never its values. */
export interface HiddenPayload {
  redacted: true;
  keys: string[];
}

function normaliseKey(key: string): string {
  return key.toLowerCase().replace(/[-\s]/g, '_');
}

/**
 * The one place that decides what operators may see: reports, traces, audit context, logs and
 * the panel all pass payloads, meta and free text through it.
 */
export class TalktoRedactor {
  private readonly keys: string[];
  private readonly headerKeys: string[];
  private readonly secrets: string[];

  constructor(options: TalktoRedactorOptions = {}) {
    this.keys = [...new Set([...DEFAULT_REDACTED_KEYS, ...(options.keys ?? [])].map(normaliseKey))].filter(
      (key) => key !== '',
    );
    this.headerKeys = [...this.keys, ...REDACTED_HEADER_KEYS];
    // Longest first, so a secret containing another one is masked whole.
    this.secrets = [...new Set(options.secrets ?? [])]
      .filter((secret) => secret !== '')
      .sort((a, b) => b.length - a.length);
  }

  /** True when values under this key are hidden. */
  isSensitiveKey(key: string): boolean {
    const normalised = normaliseKey(key);
    return this.keys.some((fragment) => normalised.includes(fragment));
  }

  /** A copy of `value` with sensitive keys' values replaced at any depth and every string masked. */
  redact(value: unknown): unknown {
    return this.walk(value, this.keys);
  }

  /** Like `redact`, for header maps: also hides signature, nonce and cookie headers. */
  redactHeaders(headers: Record<string, unknown>): Record<string, unknown> {
    return this.walk(headers, this.headerKeys) as Record<string, unknown>;
  }

  /** Masks configured secrets and credential-looking fragments inside free text. */
  redactText(text: string): string {
    let result = this.secrets.reduce((current, secret) => current.split(secret).join(REDACTED), text);
    result = result
      .replace(HEADER_LINE, (_match, name: string) => `${name}: ${REDACTED}`)
      .replace(BEARER, `Bearer ${REDACTED}`)
      .replace(JSON_PAIR, `$1"${REDACTED}"`)
      .replace(QUOTED_ARROW_PAIR, `$1'${REDACTED}'`)
      .replace(PLAIN_PAIR, `$1${REDACTED}`);
    return result;
  }

  /** A peer's response body as kept in the ledger: JSON with sensitive keys hidden, else masked text. */
  redactBody(body: string): string {
    try {
      return JSON.stringify(this.redact(JSON.parse(body)));
    } catch {
      return this.redactText(body);
    }
  }

  /**
   * A stored payload (body-JSON text) for display: by default only its top-level keys; with
   * `reveal` its redacted values. Unparseable text is shown as masked text.
   */
  presentPayload(payload: string | null, reveal: boolean): unknown {
    if (payload === null) {
      return null;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(payload);
    } catch {
      return reveal ? this.redactText(payload) : { redacted: true, keys: [] };
    }
    if (reveal) {
      return this.redact(parsed);
    }
    const keys = typeof parsed === 'object' && parsed !== null ? Object.keys(parsed) : [];
    return { redacted: true, keys } satisfies HiddenPayload;
  }

  private walk(value: unknown, keys: readonly string[]): unknown {
    if (typeof value === 'string') {
      return this.redactText(value);
    }
    if (Array.isArray(value)) {
      return value.map((item) => this.walk(item, keys));
    }
    if (typeof value === 'object' && value !== null && !(value instanceof Date)) {
      return Object.fromEntries(
        Object.entries(value).map(([key, item]) => {
          const normalised = normaliseKey(key);
          return keys.some((fragment) => normalised.includes(fragment))
            ? [key, REDACTED]
            : [key, this.walk(item, keys)];
        }),
      );
    }
    return value;
  }
}
