import { TalktoUsageError } from '../../errors/talkto-usage.error.js';
import { PayloadHashRepairService } from '../../operations/payload-hash-repair.service.js';
import { stringOption } from '../cli-args.util.js';
import type { CliCommand } from '../cli-command.interface.js';
import { CliExitCode } from '../cli.constants.js';

export const repairPayloadHashCommand: CliCommand = {
  name: 'repair-payload-hash',
  summary: 'Rewrite the stale payload hash of one stopped outgoing message (dry run without --confirm)',
  usage: '<message-id> [--confirm --reason=<text>] [--json]',
  options: { confirm: { type: 'boolean' }, reason: { type: 'string' }, json: { type: 'boolean' } },
  needsApp: true,
  async run({ app, output }, { positionals, values }) {
    const messageId = positionals[0];
    if (messageId === undefined || positionals.length > 1) {
      throw new TalktoUsageError('message id', 'give exactly one message id');
    }
    const result = await app!.get(PayloadHashRepairService).repair(messageId, {
      confirm: values.confirm === true,
      ...(stringOption(values.reason) !== undefined ? { reason: stringOption(values.reason) } : {}),
    });
    if (values.json) {
      output.json(result);
    } else {
      output.line(`message_id=${result.messageId}`);
      for (const [label, value] of [
        ['direction', result.direction],
        ['overall_status', result.overallStatus],
        ['stored_payload_hash', result.storedPayloadHash],
        ['deterministic_payload_hash', result.deterministicPayloadHash],
      ] as const) {
        if (value !== undefined) {
          output.line(`${label}=${value ?? ''}`);
        }
      }
      const line = `status=${result.status}`;
      if (result.ok) {
        output.line(line);
      } else {
        output.error(line);
      }
    }
    return result.ok ? CliExitCode.ok : CliExitCode.failure;
  },
};
