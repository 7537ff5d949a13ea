import { TalktoUsageError } from '../../errors/talkto-usage.error.js';
import { parseOlderThan, PruneService, type PruneType } from '../../operations/prune.service.js';
import { integerOption, stringOption } from '../cli-args.util.js';
import type { CliCommand } from '../cli-command.interface.js';
import { CliExitCode } from '../cli.constants.js';

const TYPES = ['messages', 'attempts', 'events', 'dead-letters', 'nonces', 'all'];

export const pruneCommand: CliCommand = {
  name: 'prune',
  summary: 'Delete old finished messages, attempts, events, dead letters and nonces',
  usage: '[--type=all] [--older-than=30d|12h|<days>] [--limit=100] [--dry-run] [--json]',
  options: {
    type: { type: 'string' },
    'older-than': { type: 'string' },
    limit: { type: 'string' },
    'dry-run': { type: 'boolean' },
    json: { type: 'boolean' },
  },
  needsApp: true,
  async run({ app, output }, { values }) {
    const type = stringOption(values.type) ?? 'all';
    if (!TYPES.includes(type)) {
      throw new TalktoUsageError('--type', `must be one of ${TYPES.join(', ')}`);
    }
    const olderThan = stringOption(values['older-than']);
    if (olderThan !== undefined) {
      parseOlderThan(olderThan); // refuse a bad value before anything is deleted
    }
    const dryRun = values['dry-run'] === true;
    output.progress('Pruning…');
    const summary = await app!.get(PruneService).prune({
      type: type as PruneType | 'all',
      ...(olderThan !== undefined ? { olderThan } : {}),
      limit: integerOption(values.limit, 'limit', 100, 1, 100_000),
      dryRun,
    });
    output.progressDone();
    if (values.json) {
      output.json(summary);
      return CliExitCode.ok;
    }
    output.line('Talkto pruning');
    output.line(`Type: ${type}`);
    output.line(`Dry run: ${dryRun ? 'yes' : 'no'}`);
    for (const [name, result] of Object.entries(summary.results)) {
      const label = name.charAt(0).toUpperCase() + name.slice(1);
      const related = result.related
        ? ` (attempts ${result.related.attempts}, events ${result.related.events}, dead letters ${result.related.deadLetters})`
        : '';
      output.line(
        dryRun ? `${label}: ${result.count} candidates` : `${label} deleted: ${result.count}${related}`,
      );
    }
    if (dryRun) {
      output.line('No changes were made.');
    }
    return CliExitCode.ok;
  },
};
