import type { TalktoTrace } from '../operations/trace.interfaces.js';
import type { PanelConnection } from './panel-connections.service.js';

interface JsonRequestHeaders {
  accept?: string | string[];
  'x-requested-with'?: string | string[];
}

const first = (value: string | string[] | undefined) => (Array.isArray(value) ? value[0] : value);

/**
 * BEHAVIOR §14: a page answers JSON when the request expects it: its first accepted type is JSON
 * (`application/json`, `…+json`), or it is an XMLHttpRequest that accepts anything.
 */
export function expectsJson(headers: JsonRequestHeaders): boolean {
  const accept = (first(headers.accept) ?? '').toLowerCase();
  const preferred = accept.split(',')[0].split(';')[0].trim();
  if (preferred.endsWith('/json') || preferred.endsWith('+json')) return true;
  const ajax = first(headers['x-requested-with'])?.toLowerCase() === 'xmlhttprequest';
  return ajax && (preferred === '' || preferred === '*/*');
}

/** A row with the column names of the tables (`message_id`, not `messageId`), as the PHP panel shows it. */
export function snakeKeys(row: object): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(row).map(([key, value]) => [key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`), value]),
  );
}

/** A connection in §14's shape: configuration facts, passive health and active health, never a secret. */
export function connectionJson({ facts, passive, active }: PanelConnection): Record<string, unknown> {
  return {
    direction: facts.direction,
    service: facts.service,
    configured: facts.configured,
    url_configured: facts.urlConfigured,
    secret_configured: facts.secretConfigured,
    endpoint: facts.endpoint,
    commands: facts.commands,
    warnings: facts.warnings,
    meta: facts.meta,
    active_health_url: facts.healthUrl,
    active_health_method: facts.healthMethod,
    active_health: active && snakeKeys(active),
    passive_health: snakeKeys(passive),
  };
}

/** A message's trace with the tables' column names, every section a list of rows. */
export function traceJson(trace: TalktoTrace): Record<string, unknown> {
  return {
    found: trace.found,
    message_id: trace.anchor?.messageId ?? null,
    correlation_id: trace.correlationId,
    anchor: trace.anchor && snakeKeys(trace.anchor),
    messages: trace.messages.map(snakeKeys),
    callbacks: trace.callbacks.map(snakeKeys),
    attempts: trace.attempts.map(snakeKeys),
    events: trace.events.map(snakeKeys),
    dead_letters: trace.deadLetters.map(snakeKeys),
    timeline: trace.timeline.map(snakeKeys),
    truncated: trace.truncated,
    limit: trace.limit,
  };
}
