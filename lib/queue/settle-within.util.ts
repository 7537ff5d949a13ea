/** Settles `work` or gives up after `timeoutMs`, without leaving a timer behind. */
export async function settleWithin<T>(
  work: Promise<T>,
  timeoutMs: number,
): Promise<{ value: T } | Error | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });
  try {
    return await Promise.race([
      work.then(
        (value) => ({ value }),
        (error: unknown) => (error instanceof Error ? error : new Error(String(error))),
      ),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}
