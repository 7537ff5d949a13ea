/** Outcome of an operator action, shown on the next page. */
export interface PanelActionResult {
  success: boolean;
  message: string;
}

/**
 * The mutating operations the panel triggers. They are the same services the CLI uses; the module
 * binds them here so panel and CLI cannot drift apart. Without a binding, actions are refused.
 */
export abstract class TalktoPanelOperations {
  abstract retryNow(messageId: string): Promise<PanelActionResult>;
  abstract reprocessDeadLetter(deadLetterId: number, force: boolean): Promise<PanelActionResult>;
}
