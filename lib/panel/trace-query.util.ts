/** `messages/:key/trace?limit=&payload=` (BEHAVIOR §14): a limit clamped to 1..500, default 100. */
export function parseTraceQuery(raw: Record<string, unknown>): { limit: number; payload: boolean } {
  const limit = typeof raw.limit === 'string' && raw.limit.trim() !== '' ? Number(raw.limit) : NaN;
  return {
    limit: Number.isSafeInteger(limit) ? Math.min(500, Math.max(1, limit)) : 100,
    payload: raw.payload === '1' || raw.payload === 'true',
  };
}
