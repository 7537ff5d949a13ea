/** The part of a prom-client `Registry` Talkto uses; typed structurally so prom-client stays optional. */
export interface TalktoMetricsRegistry {
  readonly contentType: string;
  metrics(): Promise<string>;
  removeSingleMetric(name: string): void;
}

export interface TalktoMetricsOptions {
  /** Collect Prometheus metrics with prom-client (default `false`). */
  enabled?: boolean;
  /** prom-client registry to register in, e.g. the host's `register` (default: a registry of its own). */
  registry?: TalktoMetricsRegistry;
  /** Path of the scrape endpoint; `false` mounts none, e.g. when the host serves its own registry (default `metrics`). */
  path?: string | false;
  /**
   * Outgoing commands counted under their own name. Incoming allowed commands are always included;
   * anything else is counted as `other` (default none).
   */
  commands?: string[];
}
