import { TalktoRequestValidationError } from './errors/request-validation.error.js';
import { PhpArray, type PhpValue } from './json/php-value.js';

/**
 * The receiver's type/length rules (§4.1, callback §11.4 step 2), evaluated with the semantics of
 * the Laravel validator PHP peers use, so a body is refused exactly when a PHP receiver refuses it:
 * - absent attributes and blank strings only meet `required`;
 * - `nullable` lets `null` skip the other rules;
 * - a failed `required` ends the attribute's checks, other failures do not;
 * - sizes are code points for strings, element counts for arrays, the number for numeric rules.
 */
type Rule =
  'required' | 'nullable' | 'string' | 'integer' | 'array' | 'boolean' | `max:${number}` | `min:${number}`;

const COMMAND_RULES: Record<string, Rule[]> = {
  message_id: ['required', 'string', 'max:100'],
  source: ['required', 'string', 'max:80'],
  target: ['required', 'string', 'max:80'],
  command: ['required', 'string', 'max:150'],
  payload_hash: ['required', 'string', 'max:100'],
  protocol_version: ['nullable', 'integer'],
  correlation_id: ['nullable', 'string', 'max:100'],
  parent_message_id: ['nullable', 'string', 'max:100'],
  business_key: ['nullable', 'string', 'max:191'],
  idempotency_key: ['nullable', 'string', 'max:191'],
  schema_version: ['nullable', 'integer', 'min:1'],
  created_at: ['nullable', 'string'],
  payload: ['nullable', 'array'],
};

const CALLBACK_RULES: Record<string, Rule[]> = {
  message_id: ['required', 'string', 'max:100'],
  source: ['required', 'string', 'max:80'],
  target: ['required', 'string', 'max:80'],
  command: ['required', 'string', 'max:150'],
  payload_hash: ['required', 'string', 'max:100'],
  payload: ['required', 'array'],
  'payload.original_message_id': ['required', 'string', 'max:100'],
  'payload.original_command': ['required', 'string', 'max:150'],
  'payload.status': ['required', 'string'],
  'payload.succeeded': ['required', 'boolean'],
  'payload.retryable': ['required', 'boolean'],
  'payload.skipped': ['required', 'boolean'],
  'payload.result': ['nullable', 'array'],
  'payload.meta': ['nullable', 'array'],
};

const PHP_BLANK = /^[ \t\n\r\0\v]*$/;
const PHP_NUMERIC = /^[ \t\n\r\v\f]*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?[ \t\n\r\v\f]*$/;
const FILTER_INT = /^[ \t\n\r\v]*[+-]?(0|[1-9]\d*)[ \t\n\r\v]*$/;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** Dotted lookup like Laravel's `data_get`: `undefined` when any step is missing or not an array. */
function lookup(body: PhpArray, path: readonly string[]): PhpValue | undefined {
  let current: PhpValue | undefined = body;
  for (const segment of path) {
    if (!(current instanceof PhpArray)) {
      return undefined;
    }
    current = current.get(segment);
  }
  return current;
}

/** PHP's `trim($v) === ''` — what the validator calls a blank string. */
const isBlankString = (value: PhpValue | undefined): boolean =>
  typeof value === 'string' && (value.length === 0 || value.charCodeAt(0) <= 0x20) && PHP_BLANK.test(value);

function passesRequired(value: PhpValue | undefined): boolean {
  if (value === undefined || value === null) {
    return false;
  }
  if (typeof value === 'string') {
    return !isBlankString(value);
  }
  return !(value instanceof PhpArray) || value.size > 0;
}

/** `filter_var($v, FILTER_VALIDATE_INT)`: scalars are compared through their PHP string form. */
function passesInteger(value: PhpValue): boolean {
  if (typeof value === 'bigint' || value === true) {
    return true;
  }
  if (typeof value === 'number') {
    // PHP renders floats with 14 significant digits; only integral ones below 1e14 print as plain digits.
    return Number.isInteger(value) && Math.abs(value) < 1e14;
  }
  if (typeof value !== 'string' || !FILTER_INT.test(value)) {
    return false;
  }
  const parsed = BigInt(value.trim());
  return parsed >= INT64_MIN && parsed <= INT64_MAX;
}

function passesBoolean(value: PhpValue): boolean {
  return value === true || value === false || value === 0n || value === 1n || value === '0' || value === '1';
}

/** Laravel's size of a value: the number under a numeric rule, else a count or a code-point length. */
function sizeOf(value: PhpValue, numericRule: boolean): number {
  if (numericRule && (typeof value === 'bigint' || typeof value === 'number')) {
    return Number(value);
  }
  if (numericRule && typeof value === 'string' && PHP_NUMERIC.test(value)) {
    return Number(value.trim());
  }
  if (value instanceof PhpArray) {
    return value.size;
  }
  if (value === null || value === false) {
    return 0;
  }
  return codePointLength(value === true ? '1' : String(value));
}

function codePointLength(text: string): number {
  let length = text.length;
  for (let i = 0; i < text.length - 1; i++) {
    const unit = text.charCodeAt(i);
    if (unit >= 0xd800 && unit <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        length--;
        i++;
      }
    }
  }
  return length;
}

/** A field's rules, split once: the order of `checks` is the order the validator reports. */
interface FieldRules {
  field: string;
  path: readonly string[];
  nullable: boolean;
  numeric: boolean;
  sizeKind: 'numeric' | 'array' | 'string';
  checks: ReadonlyArray<{ name: string; limit: number }>;
}

function compileRules(table: Record<string, Rule[]>): FieldRules[] {
  return Object.entries(table).map(([field, rules]) => {
    const numeric = rules.includes('integer');
    return {
      field,
      path: field.split('.'),
      nullable: rules.includes('nullable'),
      numeric,
      sizeKind: numeric ? 'numeric' : rules.includes('array') ? 'array' : 'string',
      checks: rules
        .filter((rule) => rule !== 'nullable')
        .map((rule) => {
          const [name, argument] = rule.split(':');
          return { name, limit: Number(argument) };
        }),
    };
  });
}

const COMMAND_FIELDS = compileRules(COMMAND_RULES);
const CALLBACK_FIELDS = compileRules(CALLBACK_RULES);

/** What a field that passes every rule reports; never written to. */
const NONE_FAILED: readonly string[] = [];

function failedRules(value: PhpValue | undefined, rules: FieldRules): readonly string[] {
  let failed: string[] | null = null;
  for (const { name, limit } of rules.checks) {
    if (name === 'required') {
      if (!passesRequired(value)) {
        return ['required'];
      }
      continue;
    }
    // Non-implicit rules only run on a present, non-blank value, and not on null when nullable.
    if (value === undefined || isBlankString(value) || (rules.nullable && value === null)) {
      continue;
    }
    let ok: boolean;
    let key = name;
    switch (name) {
      case 'string':
        ok = typeof value === 'string';
        break;
      case 'integer':
        ok = passesInteger(value);
        break;
      case 'array':
        ok = value instanceof PhpArray;
        break;
      case 'boolean':
        ok = passesBoolean(value);
        break;
      default:
        key = `${name}.${rules.sizeKind}`;
        // A string has no more code points than UTF-16 units: a short one passes `max` uncounted.
        ok =
          name === 'max'
            ? (!rules.numeric && typeof value === 'string' && value.length <= limit) ||
              sizeOf(value, rules.numeric) <= limit
            : sizeOf(value, rules.numeric) >= limit;
    }
    if (!ok) {
      (failed ??= []).push(key);
    }
  }
  return failed ?? NONE_FAILED;
}

/**
 * Applies the command or callback request rules to a decoded body; throws
 * `TalktoRequestValidationError` (`validation_failed`) listing every failed field and rule.
 */
export function validateEnvelopeRequest(body: PhpArray, kind: 'command' | 'callback'): void {
  let details: Record<string, string[]> | null = null;
  for (const rules of kind === 'command' ? COMMAND_FIELDS : CALLBACK_FIELDS) {
    const failed = failedRules(lookup(body, rules.path), rules);
    if (failed.length > 0) {
      (details ??= {})[rules.field] = [...failed];
    }
  }
  if (details !== null) {
    throw new TalktoRequestValidationError(details);
  }
}
