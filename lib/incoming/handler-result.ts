type ResultMap = Record<string, unknown>;

export type TalktoResultStatus = 'succeeded' | 'skipped' | 'failed_retryable' | 'failed_final';

/** What a handler decided. Build it with the static factories; plain return values mean success. */
export class TalktoResult {
  private constructor(
    readonly status: TalktoResultStatus,
    readonly result: ResultMap,
    readonly meta: ResultMap,
    readonly errorMessage: string | null,
    readonly errorClass: string | null,
  ) {}

  static succeeded(result: ResultMap = {}, meta: ResultMap = {}): TalktoResult {
    return new TalktoResult('succeeded', result, meta, null, null);
  }

  /** Counted as done: the callback reports `succeeded: true, skipped: true`. */
  static skipped(reason?: string, meta: ResultMap = {}): TalktoResult {
    return new TalktoResult('skipped', {}, reason === undefined ? meta : { reason, ...meta }, null, null);
  }

  /** Worth another try later (when incoming retries are enabled). */
  static retryableFailure(message: string, errorClass?: string, meta: ResultMap = {}): TalktoResult {
    return new TalktoResult('failed_retryable', {}, meta, message, errorClass ?? 'failed_retryable');
  }

  /** Will never succeed: the message ends `failed_final` and is dead-lettered. */
  static finalFailure(message: string, errorClass?: string, meta: ResultMap = {}): TalktoResult {
    return new TalktoResult('failed_final', {}, meta, message, errorClass ?? 'failed_final');
  }

  static from(value: unknown): TalktoResult {
    if (value instanceof TalktoResult) {
      return value;
    }
    if (value === undefined || value === null) {
      return TalktoResult.succeeded();
    }
    if (typeof value === 'object' && !Array.isArray(value)) {
      return TalktoResult.succeeded(value as ResultMap);
    }
    return TalktoResult.succeeded({ value });
  }
}
