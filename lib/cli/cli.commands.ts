import type { CliCommand } from './cli-command.interface.js';
import { makeIncomingCommand, makeIntegrationCommand, makeOutgoingCommand } from './commands/make.command.js';
import { reportCommand } from './commands/report.command.js';
import { securityAuditCommand } from './commands/security-audit.command.js';
import { traceCommand } from './commands/trace.command.js';

/** Every `talkto` command, in the order `talkto help` lists them. */
export const TALKTO_CLI_COMMANDS: readonly CliCommand[] = [
  reportCommand,
  traceCommand,
  securityAuditCommand,
  makeOutgoingCommand,
  makeIncomingCommand,
  makeIntegrationCommand,
];
