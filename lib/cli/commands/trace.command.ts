import { TraceService } from '../../operations/trace.service.js';
import { integerOption, stringOption } from '../cli-args.util.js';
import type { CliCommand } from '../cli-command.interface.js';
import { CliExitCode } from '../cli.constants.js';

export const traceCommand: CliCommand = {
  name: 'trace',
  summary: 'Messages, attempts, events and dead letters of one message or correlation id (read-only)',
  usage: '<message-id> | --correlation=<id> [--limit=100] [--payload] [--json]',
  options: {
    correlation: { type: 'string' },
    limit: { type: 'string' },
    payload: { type: 'boolean' },
    json: { type: 'boolean' },
  },
  needsApp: true,
  async run({ app, output }, { positionals, values }) {
    const trace = await app!.get(TraceService).trace({
      messageId: positionals[0],
      correlationId: stringOption(values.correlation),
      limit: integerOption(values.limit, 'limit', 100, 1, 500),
      includePayload: values.payload === true,
    });
    if (values.json) {
      output.json(trace);
      return trace.found ? CliExitCode.ok : CliExitCode.failure;
    }
    output.line(output.paint('bold', 'Talkto trace'));
    output.line(
      `found=${trace.found ? 'yes' : 'no'} limit=${trace.limit} truncated=${trace.truncated ? 'yes' : 'no'}`,
    );
    if (!trace.found) {
      output.error('No message matches.');
      return CliExitCode.failure;
    }
    if (trace.correlationId) {
      output.line(`correlation_id=${trace.correlationId}`);
    }
    const anchor = trace.anchor!;
    output.line(
      `anchor=${anchor.messageId} direction=${anchor.direction} status=${anchor.overallStatus} command=${anchor.command}`,
    );
    output.line(
      `related_messages=${trace.messages.length} callbacks=${trace.callbacks.length} attempts=${trace.attempts.length} ` +
        `events=${trace.events.length} dead_letters=${trace.deadLetters.length}`,
    );
    output.line();
    output.table(
      ['message_id', 'direction', 'command', 'status', 'peer', 'created_at'],
      trace.messages.map((row) => [
        row.messageId,
        row.direction,
        row.command,
        row.overallStatus,
        row.direction === 'outgoing' ? row.targetService : row.sourceService,
        row.createdAt,
      ]),
    );
    output.line();
    output.table(
      ['at', 'message_id', 'kind', 'what'],
      trace.timeline.map((entry) => [entry.at, entry.messageId, entry.kind, entry.label]),
    );
    if (values.payload === true) {
      output.line();
      output.line(`payload=${JSON.stringify(anchor.payload)}`);
    }
    return CliExitCode.ok;
  },
};
