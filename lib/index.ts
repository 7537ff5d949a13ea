export { TalktoModule } from './talkto.module.js';
export { RetryPolicy, type RetryDecision, type RetryDecisionReason } from './retry/retry.policy.js';
export { TalktoSweeper, type SweepSummary } from './queue/talkto.sweeper.js';
export {
  TALKTO_CALLBACK_QUEUE,
  TALKTO_EVENT_QUEUE,
  TALKTO_PROCESS_QUEUE,
  TALKTO_SEND_QUEUE,
  TALKTO_SWEEPER_INTERVAL,
} from './queue/queue.constants.js';
export { RetryService, type RetryFailedInput, type RetryFailedSummary } from './operations/retry.service.js';
export {
  DeadLetterService,
  type DeadLetterListInput,
  type DeadLetterReprocessInput,
  type DeadLetterReprocessSummary,
} from './operations/dead-letter.service.js';
export {
  StaleRecoveryService,
  type StaleRecoveryInput,
  type StaleRecoverySummary,
} from './operations/stale-recovery.service.js';
export {
  PruneService,
  type PruneInput,
  type PruneSummary,
  type PruneType,
} from './operations/prune.service.js';
export {
  PayloadHashRepairService,
  type PayloadHashRepairInput,
  type PayloadHashRepairResult,
} from './operations/payload-hash-repair.service.js';
export { TalktoClient } from './outgoing/talkto.client.js';
export type { TalktoSendOptions, TalktoSentMessage } from './outgoing/send-options.interface.js';
export { TalktoTransport, type TalktoTransportResponse } from './outgoing/talkto.transport.js';
export { TalktoHandler, type TalktoHandlerOptions } from './decorators/talkto-handler.decorator.js';
export { OnTalktoResult } from './decorators/on-talkto-result.decorator.js';
export { TalktoSignatureGuard } from './incoming/talkto-signature.guard.js';
export { TalktoRejection, TalktoRejectionFilter } from './incoming/talkto-rejection.js';
export { TalktoEnvelope, type TalktoVerifiedEnvelope } from './decorators/talkto-envelope.decorator.js';
export {
  TalktoSignedRoute,
  type TalktoSignedRouteOptions,
} from './decorators/talkto-signed-route.decorator.js';
export type {
  TalktoCallbackResult,
  TalktoOriginalMessage,
  TalktoResultHandler,
} from './callbacks/callback-result.interface.js';
export type { CallbackStatus as TalktoCallbackStatus } from './callbacks/callback-payload.js';
export { TalktoResult, type TalktoResultStatus } from './incoming/handler-result.js';
export type { IncomingMessage, TalktoCommandHandler } from './incoming/incoming-message.interface.js';
export { TalktoClock, FixedTalktoClock } from './clock/talkto.clock.js';
export type * from './interfaces/talkto-module-options.interface.js';
export type * from './interfaces/talkto-module-async-options.interface.js';
export { TALKTO_ENTITIES } from './persistence/entities/talkto.entities.js';
export { TALKTO_MIGRATIONS } from './persistence/migrations/talkto.migrations.js';
export { TalktoError } from './protocol/errors/talkto.error.js';
export { TalktoConfigurationError } from './errors/talkto-configuration.error.js';
export { TalktoSendError } from './errors/talkto-send.error.js';
export { TalktoPayloadValueError } from './protocol/errors/payload-value.error.js';
export { TalktoEnvelopeFieldError } from './protocol/errors/envelope-field.error.js';
export { talktoFloat, TalktoFloat } from './protocol/json/talkto-float.js';
export { TalktoUsageError } from './errors/talkto-usage.error.js';
export { TalktoRawBodyError } from './errors/talkto-raw-body.error.js';
export { TalktoQueueUnavailableError } from './queue/errors/queue-unavailable.error.js';
export { TALKTO_MODULE_OPTIONS } from './talkto.constants.js';
export {
  TalktoRateLimiter,
  InMemoryTalktoRateLimiter,
  type RateLimitDecision as TalktoRateLimitDecision,
} from './rate-limit/talkto-rate-limiter.js';
export {
  TalktoRedactor,
  DEFAULT_REDACTED_KEYS,
  type TalktoRedactorOptions,
  type HiddenPayload,
} from './operations/talkto.redactor.js';
export { ReportService } from './operations/report.service.js';
export type * from './operations/report.interfaces.js';
export { TraceService } from './operations/trace.service.js';
export type * from './operations/trace.interfaces.js';
export { SecurityAuditService, type SecurityAuditInput } from './operations/security-audit.service.js';
export type * from './operations/security-audit.interfaces.js';
export type { TalktoFlow, TalktoFlowActionResult } from './outgoing/talkto-flow.builder.js';
export type { TalktoTransportOption } from './outgoing/talkto-transport-option.interface.js';
export { TalktoEntityEvents } from './decorators/talkto-entity-events.decorator.js';
export { OnEntityEvent } from './decorators/on-entity-event.decorator.js';
export type { TalktoEntityEvent } from './entity-events/entity-event.interface.js';
export type * from './entity-events/interfaces/entity-events-options.interface.js';
export {
  LoopbackTalktoTransport,
  type CapturedTalktoRequest,
  type LoopbackResponder,
} from './testing/loopback.transport.js';
export { TalktoTestingModule } from './testing/talkto-testing.module.js';
export { TalktoTesting } from './testing/talkto-testing.service.js';
export type * from './testing/talkto-testing.interfaces.js';
export { runTalktoCli, type RunTalktoCliOptions } from './cli/run-talkto-cli.js';
export { CliExitCode as TalktoCliExitCode } from './cli/cli.constants.js';
export { TalktoHealthIndicator, type TalktoHealthResult } from './health/talkto.health-indicator.js';
export { TalktoPanelOperations, type PanelActionResult } from './panel/panel-operations.port.js';
