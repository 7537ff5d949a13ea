import { readRawBody } from '../incoming/raw-body.util.js';

/** Panel forms carry a token and a flag or two; anything longer is not ours. */
const MAX_FORM_BYTES = 16 * 1024;

type FormRequest = Parameters<typeof readRawBody>[0] & { body?: unknown };

/**
 * The fields of a panel form post. Uses the host's parsed body when it has one (Express, Nest's
 * Fastify parser); otherwise decodes the `application/x-www-form-urlencoded` bytes itself, so the
 * panel needs no body-parser plugin. Only string fields are kept.
 */
export async function readPanelForm(request: FormRequest): Promise<Record<string, string>> {
  const fields: Record<string, string> = {};
  const body = request.body;
  if (typeof body === 'object' && body !== null && !Buffer.isBuffer(body)) {
    for (const [key, value] of Object.entries(body)) {
      if (typeof value === 'string') fields[key] = value;
    }
    return fields;
  }
  const raw = Buffer.isBuffer(body) ? body : await readRawBody(request);
  if (!raw || raw.length > MAX_FORM_BYTES) return fields;
  for (const [key, value] of new URLSearchParams(raw.toString('utf8'))) {
    if (!(key in fields)) fields[key] = value;
  }
  return fields;
}
