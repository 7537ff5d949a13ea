import { isValidTraceparent } from './traceparent.util.js';

type OpenTelemetryApi = typeof import('@opentelemetry/api');

let api: OpenTelemetryApi | null = null;

// `@opentelemetry/api` is an optional peer: load it once if present, never fail without it.
const loading: Promise<void> = import('@opentelemetry/api').then(
  (loaded) => {
    const module = loaded as OpenTelemetryApi & { default?: OpenTelemetryApi };
    api = module.default ?? module;
  },
  () => {
    api = null;
  },
);

/** Resolves once the optional OpenTelemetry API has been looked for; the module awaits it at boot. */
export function tracingReady(): Promise<void> {
  return loading;
}

/**
 * The `traceparent` a new message carries: the explicit value when valid, else the active
 * OpenTelemetry span's context when the API is installed and a span is active, else null.
 */
export function traceparentFor(explicit: string | null | undefined): string | null {
  if (isValidTraceparent(explicit)) {
    return explicit;
  }
  const span = api?.trace.getSpanContext(api.context.active());
  if (!api || !span || !api.isSpanContextValid(span)) {
    return null;
  }
  const flags = (span.traceFlags & 0xff).toString(16).padStart(2, '0');
  return `00-${span.traceId}-${span.spanId}-${flags}`;
}
