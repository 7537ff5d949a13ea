import { TalktoUsageError } from '../../errors/talkto-usage.error.js';

const SERVICE = /^[A-Za-z0-9_-]+$/;
const COMMAND = /^[A-Za-z0-9._-]+$/;

/** Words of a name: split on `.`, `_`, `-` and camel-case humps, lower-cased. */
export function words(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .split(/[\s._-]+/)
    .filter(Boolean)
    .map((word) => word.toLowerCase());
}

export const kebab = (parts: string[]): string => parts.join('-');
export const pascal = (parts: string[]): string =>
  parts.map((part) => part.charAt(0).toUpperCase() + part.slice(1)).join('');
export const upperSnake = (parts: string[]): string => parts.join('_').toUpperCase();

export interface ServiceName {
  /** As given: the peer's name in the module options. */
  raw: string;
  /** Words without a trailing `service` (`inventory-service` → `inventory`). */
  words: string[];
}

export function serviceName(value: string | undefined): ServiceName {
  if (value === undefined || !SERVICE.test(value)) {
    throw new TalktoUsageError('service', 'must match [A-Za-z0-9_-]+');
  }
  const parts = words(value);
  if (parts.length > 1 && parts[parts.length - 1] === 'service') {
    parts.pop();
  }
  if (parts.length === 0) {
    throw new TalktoUsageError('service', 'needs at least one letter or digit');
  }
  return { raw: value, words: parts };
}

export interface CommandName {
  /** The command on the wire. */
  value: string;
  /** Words naming the generated classes and files. */
  words: string[];
}

function checkCommand(value: string | undefined): string {
  if (
    value === undefined ||
    !COMMAND.test(value) ||
    value.includes('..') ||
    value.split('.').some((segment) => segment === '')
  ) {
    throw new TalktoUsageError('command', 'must match [A-Za-z0-9._-]+ without empty segments');
  }
  return value;
}

/** Outgoing: a short name (no dots), sent as `<service-kebab>.<command-kebab>`. */
export function outgoingCommandName(value: string | undefined, service: ServiceName): CommandName {
  const command = checkCommand(value);
  if (command.includes('.')) {
    throw new TalktoUsageError(
      'command',
      'must be short for outgoing commands (no dots); the service is prefixed',
    );
  }
  const parts = words(command);
  return { value: `${kebab(service.words)}.${kebab(parts)}`, words: parts };
}

/** Incoming: the full command value as the peer sends it; its last segment names the classes. */
export function incomingCommandName(value: string | undefined): CommandName {
  const command = checkCommand(value);
  const segments = command.split('.');
  return { value: command, words: words(segments[segments.length - 1]) };
}
