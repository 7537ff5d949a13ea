import { TALKTO_TEXT_LIMIT } from './persistence.constants.js';

/** Cuts stored error and response text to the column budget (BEHAVIOR §4.4). */
export function limitText(text: string | null | undefined, limit = TALKTO_TEXT_LIMIT): string | null {
  if (text === null || text === undefined) {
    return null;
  }
  return text.length > limit ? text.slice(0, limit) : text;
}
