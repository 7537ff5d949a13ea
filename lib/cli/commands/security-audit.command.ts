import { TalktoUsageError } from '../../errors/talkto-usage.error.js';
import { AUDIT_SEVERITIES, type AuditSeverity } from '../../operations/security-audit.interfaces.js';
import { SecurityAuditService, severityRank } from '../../operations/security-audit.service.js';
import { stringOption } from '../cli-args.util.js';
import type { CliCommand } from '../cli-command.interface.js';
import type { CliColour } from '../cli.output.js';
import { CliExitCode } from '../cli.constants.js';

const FAIL_ON: readonly AuditSeverity[] = ['warning', 'error', 'critical'];
const SEVERITY_COLOUR: Record<AuditSeverity, CliColour> = {
  info: 'cyan',
  warning: 'yellow',
  error: 'red',
  critical: 'red',
};

export const securityAuditCommand: CliCommand = {
  name: 'security-audit',
  summary: 'Review signing, secrets, peers, routes and panel settings (read-only)',
  usage: '[--fail-on=warning|error|critical] [--json]',
  options: { 'fail-on': { type: 'string' }, json: { type: 'boolean' } },
  needsApp: true,
  async run({ app, output }, { values }) {
    const failOn = stringOption(values['fail-on']);
    if (failOn !== undefined && !FAIL_ON.includes(failOn as AuditSeverity)) {
      throw new TalktoUsageError('--fail-on', "must be 'warning', 'error' or 'critical'");
    }
    const report = app!.get(SecurityAuditService).audit();
    const thresholdHit =
      failOn !== undefined &&
      report.findings.some(
        (finding) => severityRank(finding.severity) >= severityRank(failOn as AuditSeverity),
      );

    if (values.json) {
      output.json(report);
    } else {
      const counts = report.summary.severityCounts;
      output.line(output.paint('bold', 'Talkto security audit'));
      output.line(`ok=${report.ok ? 'yes' : 'no'} checked_at=${report.checkedAt.toISOString()}`);
      output.line(
        `findings=${report.summary.totalFindings} ` +
          [...AUDIT_SEVERITIES]
            .reverse()
            .map((severity) => `${severity}=${counts[severity]}`)
            .join(' '),
      );
      output.line();
      output.table(
        ['severity', 'code', 'message', 'recommendation'],
        report.findings.map((finding) => [
          output.paint(SEVERITY_COLOUR[finding.severity], finding.severity),
          finding.code,
          finding.message,
          finding.recommendation,
        ]),
        'No findings.',
      );
      if (thresholdHit) {
        output.error(`Findings at or above ${failOn}.`);
      }
    }
    return thresholdHit ? CliExitCode.auditThreshold : CliExitCode.ok;
  },
};
