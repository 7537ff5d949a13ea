import { RetryService } from '../../operations/retry.service.js';
import { directionOption, integerOption } from '../cli-args.util.js';
import type { CliCommand } from '../cli-command.interface.js';
import { CliExitCode } from '../cli.constants.js';

export const retryFailedCommand: CliCommand = {
  name: 'retry-failed',
  summary: 'Re-dispatch failed_retryable messages whose retry time has come',
  usage: '[--direction=all] [--limit=100] [--dry-run] [--json]',
  options: {
    direction: { type: 'string' },
    limit: { type: 'string' },
    'dry-run': { type: 'boolean' },
    json: { type: 'boolean' },
  },
  needsApp: true,
  async run({ app, output }, { values }) {
    const input = {
      direction: directionOption(values.direction),
      limit: integerOption(values.limit, 'limit', 100, 1, 1000),
      dryRun: values['dry-run'] === true,
    };
    output.progress('Retrying due messages…');
    const summary = await app!.get(RetryService).retryFailed(input);
    output.progressDone();
    if (values.json) {
      output.json(summary);
    } else {
      output.line(
        `scanned=${summary.scanned} eligible=${summary.eligible} dispatched=${summary.dispatched} ` +
          `skipped=${summary.skipped} dry_run=${summary.dryRun} direction=${summary.direction} ` +
          `skip_reasons=${JSON.stringify(summary.skipReasons)}`,
      );
    }
    return CliExitCode.ok;
  },
};
