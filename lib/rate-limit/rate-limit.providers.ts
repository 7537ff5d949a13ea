import type { Provider } from '@nestjs/common';
import { TalktoConfigurationError } from '../errors/talkto-configuration.error.js';
import type { TalktoModuleOptions } from '../interfaces/talkto-module-options.interface.js';
import { TALKTO_MODULE_OPTIONS } from '../talkto.constants.js';
import { DEFAULT_RATE_LIMIT, TALKTO_RATE_LIMITER } from './rate-limit.constants.js';
import { TalktoRateLimitGuard } from './rate-limit.guard.js';
import { InMemoryTalktoRateLimiter, type TalktoRateLimiter } from './talkto-rate-limiter.js';

function positiveInteger(value: unknown, key: string, fallback: number): number {
  if (value === undefined) {
    return fallback;
  }
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
    throw new TalktoConfigurationError(key, 'must be a positive integer');
  }
  return value;
}

/** The limiter (null when disabled) and the guard the Talkto routes use. */
export function rateLimitProviders(): Provider[] {
  return [
    {
      provide: TALKTO_RATE_LIMITER,
      useFactory: (options: TalktoModuleOptions): TalktoRateLimiter | null => {
        const settings = options.rateLimit ?? {};
        const limit = positiveInteger(settings.limit, 'rateLimit.limit', DEFAULT_RATE_LIMIT.limit);
        const windowSeconds = positiveInteger(
          settings.windowSeconds,
          'rateLimit.windowSeconds',
          DEFAULT_RATE_LIMIT.windowSeconds,
        );
        if (settings.enabled === false) {
          return null;
        }
        return settings.limiter ?? new InMemoryTalktoRateLimiter(limit, windowSeconds * 1000);
      },
      inject: [TALKTO_MODULE_OPTIONS],
    },
    TalktoRateLimitGuard,
  ];
}
