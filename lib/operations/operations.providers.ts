import type { Provider } from '@nestjs/common';
import type { ResolvedTalktoOptions } from '../config/resolved-options.interface.js';
import { collectSecrets } from '../incoming/redact-secrets.util.js';
import { TALKTO_RESOLVED_OPTIONS } from '../talkto.constants.js';
import { ReportService } from './report.service.js';
import { SecurityAuditService } from './security-audit.service.js';
import { TalktoRedactor } from './talkto.redactor.js';
import { TraceService } from './trace.service.js';

/** Read-only operations services; exported so hosts (and the CLI) can resolve them. */
export const OPERATIONS_PROVIDERS: Provider[] = [
  {
    provide: TalktoRedactor,
    useFactory: (options: ResolvedTalktoOptions) =>
      new TalktoRedactor({ keys: options.security.redactedKeys, secrets: collectSecrets(options) }),
    inject: [TALKTO_RESOLVED_OPTIONS],
  },
  ReportService,
  TraceService,
  SecurityAuditService,
];

export const OPERATIONS_EXPORTS = [TalktoRedactor, ReportService, TraceService, SecurityAuditService];
