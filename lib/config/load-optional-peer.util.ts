import { TalktoConfigurationError } from '../errors/talkto-configuration.error.js';

function isMissing(error: unknown, name: string): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  return (
    (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') &&
    typeof message === 'string' &&
    (message.includes(`'${name}'`) || message.includes(`"${name}"`))
  );
}

type DefaultExport<T> = T extends { default: infer D } ? D : T;

/**
 * Loads an optional peer package (`load` is its `import()`), only when the option that needs it is
 * chosen. Returns the package's default export when it has one (a CommonJS package's exports).
 * A package that is not installed fails naming itself and the option; any other failure while
 * loading it (a broken install, a missing dependency of its own) is rethrown as it is.
 */
export async function loadOptionalPeer<T>(
  name: string,
  option: string,
  load: () => Promise<T>,
): Promise<DefaultExport<T>> {
  let loaded: T;
  try {
    loaded = await load();
  } catch (error) {
    if (isMissing(error, name)) {
      throw new TalktoConfigurationError(
        option,
        `needs the ${name} package, which is not installed (npm i ${name})`,
      );
    }
    throw error;
  }
  return ((loaded as { default?: unknown }).default ?? loaded) as DefaultExport<T>;
}

/**
 * Loads an optional peer only a host's own setup makes useful (e.g. its `ScheduleModule`): null
 * when it is not installed; any other failure while loading it is rethrown as it is.
 */
export async function loadPeerIfInstalled<T>(
  name: string,
  load: () => Promise<T>,
): Promise<DefaultExport<T> | null> {
  try {
    const loaded = await load();
    return ((loaded as { default?: unknown }).default ?? loaded) as DefaultExport<T>;
  } catch (error) {
    if (isMissing(error, name)) {
      return null;
    }
    throw error;
  }
}
