const KEY = 'stagehook.token';

export interface TokenInfo {
  projectId: string;
  expiresAt: Date;
}

/** Reads the claims for display and expiry only; the BFF and the services verify the signature. */
export function decodeToken(token: string): TokenInfo | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  try {
    const json = atob(parts[1].replace(/-/g, '+').replace(/_/g, '/'));
    const claims = JSON.parse(json) as { sub?: unknown; exp?: unknown };
    if (typeof claims.sub !== 'string' || typeof claims.exp !== 'number') return undefined;
    return { projectId: claims.sub, expiresAt: new Date(claims.exp * 1000) };
  } catch {
    return undefined;
  }
}

/** Session storage: the token lives as long as the tab, never in a URL or a cookie. */
export function getToken(): string | undefined {
  const t = sessionStorage.getItem(KEY) ?? undefined;
  if (!t) return undefined;
  const info = decodeToken(t);
  if (!info || info.expiresAt.getTime() <= Date.now()) {
    sessionStorage.removeItem(KEY);
    return undefined;
  }
  return t;
}

export function setToken(token: string): void {
  sessionStorage.setItem(KEY, token);
}

export function clearToken(): void {
  sessionStorage.removeItem(KEY);
}

/**
 * The development sign-in link (`/signin#token=…`, printed by `npm start`): the fragment never
 * reaches a server or a log; it is read once and removed from the address bar and history.
 */
export function takeTokenFromFragment(): string | undefined {
  const hash = window.location.hash.replace(/^#/, '');
  if (!hash) return undefined;
  const params = new URLSearchParams(hash);
  const token = params.get('token') ?? undefined;
  if (token) window.history.replaceState(null, '', window.location.pathname + window.location.search);
  return token;
}
