import type { CliCommand } from './cli-command.interface.js';
import { makeIncomingCommand, makeIntegrationCommand, makeOutgoingCommand } from './commands/make.command.js';
import { dlqReprocessCommand } from './commands/dlq-reprocess.command.js';
import { pruneCommand } from './commands/prune.command.js';
import { recoverStaleCommand } from './commands/recover-stale.command.js';
import { repairPayloadHashCommand } from './commands/repair-payload-hash.command.js';
import { reportCommand } from './commands/report.command.js';
import { retryFailedCommand } from './commands/retry-failed.command.js';
import { securityAuditCommand } from './commands/security-audit.command.js';
import { traceCommand } from './commands/trace.command.js';

/** Every `talkto` command, in the order `talkto help` lists them. */
export const TALKTO_CLI_COMMANDS: readonly CliCommand[] = [
  retryFailedCommand,
  dlqReprocessCommand,
  recoverStaleCommand,
  pruneCommand,
  repairPayloadHashCommand,
  reportCommand,
  traceCommand,
  securityAuditCommand,
  makeOutgoingCommand,
  makeIncomingCommand,
  makeIntegrationCommand,
];
