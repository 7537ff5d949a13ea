const DEFAULT_RECEIVE_ENDPOINT = '/api/talkto/receive';
const DEFAULT_CALLBACK_ENDPOINT = '/api/talkto/callback';

function trimSlashes(path: string): string {
  return path.trim().replace(/^\/+|\/+$/g, '');
}

function joinUrl(base: string, endpoint: string): string {
  return `${base.replace(/\/+$/, '')}/${trimSlashes(endpoint)}`;
}

export function isAbsoluteHttpUrl(url: string): boolean {
  try {
    const parsed = new URL(url);
    return (parsed.protocol === 'http:' || parsed.protocol === 'https:') && parsed.hostname !== '';
  } catch {
    return false;
  }
}

export interface TargetUrlInput {
  baseUrl?: string;
  receiveEndpoint?: string;
  receiveUrl?: string;
  callbackEndpoint?: string;
  callbackUrl?: string;
}

/** The peer's receive URL, built the way a PHP sender builds it. */
export function resolveReceiveUrl(input: TargetUrlInput): string | null {
  if (input.receiveUrl) {
    return input.receiveUrl;
  }
  if (input.baseUrl) {
    return joinUrl(input.baseUrl, input.receiveEndpoint ?? DEFAULT_RECEIVE_ENDPOINT);
  }
  return null;
}

/** The peer's callback URL; inferred from a receive URL only when it ends with the receive endpoint. */
export function resolveCallbackUrl(input: TargetUrlInput): string | null {
  if (input.callbackUrl) {
    return input.callbackUrl;
  }
  const callbackEndpoint = input.callbackEndpoint ?? DEFAULT_CALLBACK_ENDPOINT;
  if (input.baseUrl) {
    return joinUrl(input.baseUrl, callbackEndpoint);
  }
  if (input.receiveUrl) {
    const receiveUrl = input.receiveUrl.replace(/\/+$/, '');
    const suffix = `/${trimSlashes(input.receiveEndpoint ?? DEFAULT_RECEIVE_ENDPOINT)}`;
    if (receiveUrl.endsWith(suffix)) {
      return joinUrl(receiveUrl.slice(0, -suffix.length), callbackEndpoint);
    }
  }
  return null;
}

/** The peer's health route: `health.url` verbatim, else `health.endpoint` joined to `baseUrl`. */
export function resolveHealthUrl(
  input: Pick<TargetUrlInput, 'baseUrl'> & { health?: { url?: string; endpoint?: string } },
): string | null {
  if (input.health?.url) {
    return input.health.url;
  }
  if (input.health?.endpoint && input.baseUrl) {
    return joinUrl(input.baseUrl, input.health.endpoint);
  }
  return null;
}
