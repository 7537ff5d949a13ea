import { TalktoConfigurationError } from '../errors/talkto-configuration.error.js';

export type PromClient = typeof import('prom-client');

/** prom-client is an optional peer: it is loaded only when metrics are enabled. */
export async function loadPromClient(): Promise<PromClient> {
  try {
    const loaded = (await import('prom-client')) as PromClient & { default?: PromClient };
    return loaded.default ?? loaded;
  } catch {
    throw new TalktoConfigurationError(
      'metrics.enabled',
      'needs the prom-client package (npm i prom-client)',
    );
  }
}
