import { SESSION_COOKIE } from '@shared/schemas/auth.schema';

/**
 * Reading the session token from HTTP request or Socket.IO handshake headers
 * (both transports share it).
 */
/** Parse a Cookie header into name → value (first occurrence wins). */
export function parseCookies(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!header) return out;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const name = part.slice(0, eq).trim();
    if (!name || name in out) continue;
    try {
      out[name] = decodeURIComponent(part.slice(eq + 1).trim());
    } catch {
      // A malformed value is ignored rather than trusted.
    }
  }
  return out;
}

/** The session token of a request or handshake: the cookie, else `Authorization: Bearer`. */
export function sessionToken(headers: {
  cookie?: string | undefined;
  authorization?: string | undefined;
}): string | null {
  const fromCookie = parseCookies(headers.cookie)[SESSION_COOKIE];
  if (fromCookie) return fromCookie;
  const auth = headers.authorization;
  return auth?.startsWith('Bearer ') ? auth.slice(7).trim() || null : null;
}
