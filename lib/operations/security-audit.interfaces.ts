export type AuditSeverity = 'info' | 'warning' | 'error' | 'critical';

export const AUDIT_SEVERITIES: readonly AuditSeverity[] = ['info', 'warning', 'error', 'critical'];

export interface AuditFinding {
  severity: AuditSeverity;
  /** Stable identifier, safe to match on (documented in docs/operations.md). */
  code: string;
  message: string;
  recommendation: string;
  /** Where the finding comes from; values pass through the redactor. */
  context: Record<string, unknown>;
}

/** Read-only review of the Talkto configuration (BEHAVIOR §12.1). */
export interface SecurityAuditReport {
  /** No `error` or `critical` finding. */
  ok: boolean;
  summary: { ok: boolean; totalFindings: number; severityCounts: Record<AuditSeverity, number> };
  findings: AuditFinding[];
  checkedAt: Date;
}
