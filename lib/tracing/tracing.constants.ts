/** Resolved once the optional OpenTelemetry API has been looked for, so `send()` never races it. */
export const TALKTO_TRACING_READY = 'TALKTO_TRACING_READY';
