import type { Provider } from '@nestjs/common';
import { TalktoSweeper } from '../queue/talkto.sweeper.js';
import { RetryPolicy } from '../retry/retry.policy.js';

/** Retry policy, sweeper and the operator services the CLI and the panel call. */
export const RELIABILITY_PROVIDERS: Provider[] = [RetryPolicy, TalktoSweeper];

/** The ones hosts (CLI, panel, tests) may inject. */
export const RELIABILITY_EXPORTS = [RetryPolicy, TalktoSweeper];
