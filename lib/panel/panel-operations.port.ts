/** Outcome of an operator action, shown on the next page. */
export interface PanelActionResult {
  success: boolean;
  message: string;
}

/**
 * The mutating operations the panel triggers. With the panel enabled the module binds this to
 * `ReliabilityPanelOperations` (the CLI's retry and dead-letter services), so panel and CLI cannot
 * drift apart.
 */
export abstract class TalktoPanelOperations {
  abstract retryNow(messageId: string): Promise<PanelActionResult>;
  abstract reprocessDeadLetter(deadLetterId: number, force: boolean): Promise<PanelActionResult>;
}
