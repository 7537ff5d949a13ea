import type { Provider } from '@nestjs/common';
import { TalktoSweeper } from '../queue/talkto.sweeper.js';
import { RetryPolicy } from '../retry/retry.policy.js';
import { DeadLetterService } from './dead-letter.service.js';
import { PayloadHashRepairService } from './payload-hash-repair.service.js';
import { PruneService } from './prune.service.js';
import { RetryService } from './retry.service.js';
import { StaleRecoveryService } from './stale-recovery.service.js';

const RELIABILITY = [
  RetryPolicy,
  TalktoSweeper,
  RetryService,
  DeadLetterService,
  StaleRecoveryService,
  PruneService,
  PayloadHashRepairService,
];

/** Retry policy, sweeper and the operator services the CLI and the panel call. */
export const RELIABILITY_PROVIDERS: Provider[] = RELIABILITY;

/** The ones hosts (CLI, panel, tests) may inject. */
export const RELIABILITY_EXPORTS = RELIABILITY;
