import { randomBytes, timingSafeEqual } from 'node:crypto';

export const CSRF_COOKIE = 'talkto_panel_csrf';
export const CSRF_FIELD = '_csrf';

export function newCsrfToken(): string {
  return randomBytes(24).toString('base64url');
}

export function readCookie(header: string | string[] | undefined, name: string): string | null {
  const text = Array.isArray(header) ? header.join('; ') : (header ?? '');
  for (const part of text.split(';')) {
    const [key, ...rest] = part.trim().split('=');
    if (key === name) return rest.join('=');
  }
  return null;
}

/**
 * Double-submit check: the form field must equal the cookie. Another site can make the browser
 * send the cookie but can neither read it nor put it in the form.
 */
export function csrfMatches(cookie: string | null, field: unknown): boolean {
  if (!cookie || typeof field !== 'string' || field.length !== cookie.length) return false;
  return timingSafeEqual(Buffer.from(cookie), Buffer.from(field));
}
