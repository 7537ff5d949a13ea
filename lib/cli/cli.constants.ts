/** Process exit codes of the `talkto` CLI (documented in docs/operations.md). */
export const CliExitCode = {
  ok: 0,
  /** Invalid usage, an unknown command, or a command that failed. */
  failure: 1,
  /** `security-audit --fail-on`: a finding at or above the threshold. */
  auditThreshold: 2,
} as const;
