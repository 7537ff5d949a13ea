import { TalktoUsageError } from '../../errors/talkto-usage.error.js';
import { StaleRecoveryService } from '../../operations/stale-recovery.service.js';
import { integerOption, stringOption } from '../cli-args.util.js';
import type { CliCommand } from '../cli-command.interface.js';
import { CliExitCode } from '../cli.constants.js';

export const recoverStaleCommand: CliCommand = {
  name: 'recover-stale',
  summary:
    'Take back sending/processing claims and dispatch claims whose worker died; close sends whose result came meanwhile',
  usage: '[--direction=incoming|outgoing] [--older-than=<minutes>] [--limit=100] [--dry-run] [--json]',
  options: {
    direction: { type: 'string' },
    'older-than': { type: 'string' },
    limit: { type: 'string' },
    'dry-run': { type: 'boolean' },
    json: { type: 'boolean' },
  },
  needsApp: true,
  async run({ app, output }, { values }) {
    const direction = stringOption(values.direction);
    if (direction !== undefined && direction !== 'incoming' && direction !== 'outgoing') {
      throw new TalktoUsageError('--direction', "must be 'incoming' or 'outgoing'");
    }
    const olderThan = values['older-than'];
    const summary = await app!.get(StaleRecoveryService).recover({
      ...(direction !== undefined ? { direction } : {}),
      ...(olderThan !== undefined
        ? { olderThanMinutes: integerOption(olderThan, 'older-than', 15, 1, 10080) }
        : {}),
      limit: integerOption(values.limit, 'limit', 100, 1, 1000),
      dryRun: values['dry-run'] === true,
    });
    if (values.json) {
      output.json(summary);
      return CliExitCode.ok;
    }
    output.line(`Candidates: ${summary.candidates}`);
    output.line(`Recovered: ${summary.recovered}`);
    output.line(`Stale processing recovered: ${summary.staleProcessingRecovered}`);
    output.line(`Orphaned dispatch claims recovered: ${summary.orphanedClaimsRecovered}`);
    output.line(`Abandoned sends closed (result already applied): ${summary.abandonedSendsClosed}`);
    output.line(`Failed/dead-lettered: ${summary.failed}`);
    output.line(`Skipped: ${summary.skipped}`);
    output.line(`Claim changed: ${summary.claimChanged}`);
    output.line(`Dispatched: ${summary.dispatched}`);
    output.line(`Direction: ${summary.direction}`);
    output.line(`Older than minutes: ${summary.olderThanMinutes}`);
    if (summary.dryRun) {
      output.line('Dry run: no changes were made.');
    }
    for (const message of summary.messages) {
      output.line(`- ${message.messageId} ${message.direction} ${message.status}`);
    }
    return CliExitCode.ok;
  },
};
