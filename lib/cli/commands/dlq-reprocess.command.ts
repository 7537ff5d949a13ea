import { TalktoUsageError } from '../../errors/talkto-usage.error.js';
import { DeadLetterService } from '../../operations/dead-letter.service.js';
import { directionOption, integerOption, stringOption } from '../cli-args.util.js';
import type { CliCommand } from '../cli-command.interface.js';
import { CliExitCode } from '../cli.constants.js';

export const dlqReprocessCommand: CliCommand = {
  name: 'dlq-reprocess',
  summary: 'Send dead-lettered messages through their pipeline again',
  usage:
    '[<dead-letter-id>…] [--message-id=<id>] [--direction=all] [--limit=50] [--force] [--dry-run] [--json]',
  options: {
    'message-id': { type: 'string' },
    direction: { type: 'string' },
    limit: { type: 'string' },
    force: { type: 'boolean' },
    'dry-run': { type: 'boolean' },
    json: { type: 'boolean' },
  },
  needsApp: true,
  async run({ app, output }, { positionals, values }) {
    const ids = positionals.map((id) => {
      if (!/^\d+$/.test(id)) {
        throw new TalktoUsageError('dead letter id', 'must be a positive integer');
      }
      return Number(id);
    });
    const messageId = stringOption(values['message-id']);
    const input = {
      ...(ids.length > 0 ? { ids } : {}),
      ...(messageId !== undefined ? { messageIds: [messageId] } : {}),
      direction: directionOption(values.direction),
      limit: integerOption(values.limit, 'limit', 50, 1, 1000),
      force: values.force === true,
      dryRun: values['dry-run'] === true,
    };
    output.progress('Reprocessing dead letters…');
    const summary = await app!.get(DeadLetterService).reprocess(input);
    output.progressDone();
    if (values.json) {
      output.json(summary);
    } else {
      output.line(
        `scanned=${summary.scanned} eligible=${summary.eligible} dispatched=${summary.dispatched} ` +
          `skipped=${summary.skipped} missing_original=${summary.missingOriginal} claimed=${summary.claimed} ` +
          `failed_claim=${summary.failedClaim} failed_dispatch=${summary.failedDispatch} ` +
          `dry_run=${summary.dryRun} direction=${summary.direction}`,
      );
      if (Object.keys(summary.skipReasons).length > 0) {
        output.line(`skip_reasons=${JSON.stringify(summary.skipReasons)}`);
      }
    }
    return summary.failedClaim + summary.failedDispatch > 0 ? CliExitCode.failure : CliExitCode.ok;
  },
};
