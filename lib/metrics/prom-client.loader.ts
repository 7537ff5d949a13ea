import { loadOptionalPeer } from '../config/load-optional-peer.util.js';

export type PromClient = typeof import('prom-client');

/** prom-client is an optional peer: it is loaded only when metrics are enabled. */
export function loadPromClient(): Promise<PromClient> {
  return loadOptionalPeer('prom-client', 'metrics.enabled', () => import('prom-client'));
}
