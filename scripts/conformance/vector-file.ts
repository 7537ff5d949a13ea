/** Header values as Node delivers them: UTF-8 bytes read one char per byte. */
export function toNodeHeaderValue(value: unknown): unknown {
  return typeof value === 'string' ? Buffer.from(value, 'utf8').toString('latin1') : value;
}
