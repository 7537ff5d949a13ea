import { ReportService } from '../../operations/report.service.js';
import { dateOption, directionOption, integerOption } from '../cli-args.util.js';
import type { CliCommand } from '../cli-command.interface.js';
import { CliExitCode } from '../cli.constants.js';

function countRows(counts: Record<string, number>): unknown[][] {
  return Object.entries(counts)
    .sort(([a, x], [b, y]) => y - x || a.localeCompare(b))
    .map(([name, count]) => [name, count]);
}

export const reportCommand: CliCommand = {
  name: 'report',
  summary: 'Message counts, failure rates, due retries and recent failures (read-only)',
  usage: '[--hours=24] [--from=<date> --to=<date>] [--direction=all] [--limit=20] [--json]',
  options: {
    hours: { type: 'string' },
    from: { type: 'string' },
    to: { type: 'string' },
    direction: { type: 'string' },
    limit: { type: 'string' },
    json: { type: 'boolean' },
  },
  needsApp: true,
  async run({ app, output }, { values }) {
    const report = await app!.get(ReportService).report({
      hours: integerOption(values.hours, 'hours', 24, 1, 24 * 366),
      from: dateOption(values.from, 'from'),
      to: dateOption(values.to, 'to'),
      direction: directionOption(values.direction),
      limit: integerOption(values.limit, 'limit', 20, 1, 500),
    });
    if (values.json) {
      output.json(report);
      return CliExitCode.ok;
    }
    const { totals } = report;
    output.line(output.paint('bold', 'Talkto report'));
    output.line(
      `window=${report.window.from.toISOString()}..${report.window.to.toISOString()} direction=${report.direction}`,
    );
    output.line(
      `messages=${totals.messages} incoming=${totals.incoming} outgoing=${totals.outgoing} ` +
        `success_rate=${report.successRate}% failure_rate=${report.failureRate}%`,
    );
    output.line(
      `retryable=${totals.retryable} due_retry=${totals.dueRetries} final_failed=${totals.finalFailed} ` +
        `processing=${totals.processing} open_dead_letters=${totals.openDeadLetters}`,
    );
    output.line(
      `health=${report.health.ok ? output.paint('green', 'ok') : output.paint('yellow', 'warning')}` +
        (report.health.warnings.length > 0 ? ` (${report.health.warnings.join(', ')})` : ''),
    );
    output.line(output.paint('dim', 'Use `talkto trace <message-id>` for the history of one message.'));
    output.line();
    output.line('By status');
    output.table(['status', 'count'], countRows(report.statusCounts));
    output.line();
    output.line('By command');
    output.table(
      ['command', 'direction', 'total', 'failed', 'failure_rate'],
      report.commandCounts.map((row) => [
        row.name,
        row.direction,
        row.total,
        row.failed,
        `${row.failureRate}%`,
      ]),
    );
    output.line();
    output.line('By peer');
    output.table(
      ['peer', 'direction', 'total', 'failed', 'failure_rate'],
      report.peerCounts.map((row) => [row.name, row.direction, row.total, row.failed, `${row.failureRate}%`]),
    );
    output.line();
    output.line('Attempts');
    output.table(['attempt_status', 'count'], countRows(report.attemptStatusCounts));
    output.line();
    output.line('Events');
    output.table(['event_type', 'count'], countRows(report.eventTypeCounts));
    output.line();
    output.line('Recent failures');
    output.table(
      ['message_id', 'direction', 'command', 'status', 'created_at', 'last_error'],
      report.recentFailures.map((row) => [
        row.messageId,
        row.direction,
        row.command,
        row.overallStatus,
        row.createdAt,
        (row.lastError ?? '').slice(0, 80),
      ]),
    );
    return CliExitCode.ok;
  },
};
