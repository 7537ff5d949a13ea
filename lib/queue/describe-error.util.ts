/** Splits anything thrown into a log line and a stack, without assuming it is an Error. */
export function describeError(error: unknown): { message: string; trace?: string } {
  if (error instanceof Error) {
    return { message: error.message, trace: error.stack };
  }
  return { message: String(error) };
}
