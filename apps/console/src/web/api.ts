import { ApiError, createStagehookClient, ok } from '@stagehook/sdk';
import { getToken } from './session';

/** The four services through the console's one origin. */
export const api = createStagehookClient({
  baseUrl: (service) => `${window.location.origin}/api/${service}`,
  token: getToken,
});

export { ApiError, ok };

export function errorMessage(err: unknown): string {
  if (err instanceof ApiError) {
    const problems = err.body?.details?.problems;
    if (Array.isArray(problems)) return `${err.message}`;
    const fields = err.body?.fields?.map((f) => `${f.path}: ${f.messages.join(', ')}`).join('; ');
    return fields ? `${err.message} (${fields})` : `${err.message} (HTTP ${err.status})`;
  }
  return err instanceof Error ? err.message : String(err);
}
