/**
 * Admin sessions: signing in on the admin page exchanges the admin token for a session cookie
 * (HttpOnly, SameSite=Strict, Secure over HTTPS, Path=/), so that the page never keeps the token
 * where a script could read it. A session lives in this process's memory only: 12 hours after its
 * last use it has expired, Log out ends it, and a restart ends them all. The cookie holds a random
 * id; the server keeps only its digest.
 *
 * A request that a cookie authenticates must also carry CSRF_HEADER (a browser sends a custom header
 * only from this origin's own scripts, or after a CORS preflight that the admin's CORS refuses):
 * /graphql checks it with Yoga's useCSRFPrevention (yoga.ts), the other admin routes here.
 */
import { createHash, randomBytes } from 'node:crypto';

export const SESSION_COOKIE = 'lite_proxy_session';
export const CSRF_HEADER = 'x-lite-proxy-csrf';
export const SESSION_TTL_MS = 12 * 3_600_000;
/** The cookie's Max-Age is renewed (a new Set-Cookie) at most this often while the session is used. */
const RENEW_COOKIE_MS = 10 * 60_000;
/** Sessions kept at most (oldest dropped first): a token holder signing in in a loop cannot grow memory. */
const MAX_SESSIONS = 1_000;

interface Session {
  expiresAt: number;
  cookieRenewedAt: number;
}

const digest = (id: string) => createHash('sha256').update(id).digest('base64url');

/** The value of one cookie in a Cookie header, or null. */
export function cookieValue(header: string | null, name: string): string | null {
  if (!header) return null;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}

export class AdminSessions {
  private readonly sessions = new Map<string, Session>();
  /** Set-Cookie headers a request's answer should carry (a renewed Max-Age), by request. */
  private readonly renewals = new WeakMap<Request, string>();
  readonly ttlMs: number;
  private readonly now: () => number;

  constructor(opts: { ttlMs?: number; now?: () => number; isHttps: (request: Request) => boolean }) {
    this.ttlMs = opts.ttlMs ?? SESSION_TTL_MS;
    this.now = opts.now ?? Date.now;
    this.isHttps = opts.isHttps;
  }

  private readonly isHttps: (request: Request) => boolean;

  /** A new session; the Set-Cookie header that hands it to the browser. */
  create(request: Request): string {
    this.sweep();
    const id = randomBytes(32).toString('base64url');
    const now = this.now();
    this.sessions.set(digest(id), { expiresAt: now + this.ttlMs, cookieRenewedAt: now });
    while (this.sessions.size > MAX_SESSIONS) this.sessions.delete(this.sessions.keys().next().value!);
    return this.cookie(request, id, Math.floor(this.ttlMs / 1000));
  }

  /**
   * Whether the request's cookie names a live session; if so its expiry slides on, and a renewed
   * cookie waits in renewalFor(request) now and then.
   */
  authenticates(request: Request): boolean {
    const id = cookieValue(request.headers.get('cookie'), SESSION_COOKIE);
    if (id === null) return false;
    const key = digest(id);
    const session = this.sessions.get(key);
    const now = this.now();
    if (!session) return false;
    if (session.expiresAt <= now) {
      this.sessions.delete(key);
      return false;
    }
    session.expiresAt = now + this.ttlMs;
    if (now - session.cookieRenewedAt >= RENEW_COOKIE_MS) {
      session.cookieRenewedAt = now;
      this.renewals.set(request, this.cookie(request, id, Math.floor(this.ttlMs / 1000)));
    }
    return true;
  }

  /** The Set-Cookie that renews the session's cookie, when authenticates() made one for this request. */
  renewalFor(request: Request): string | null {
    return this.renewals.get(request) ?? null;
  }

  /** Ends the request's session (if any); the Set-Cookie that clears the cookie. */
  end(request: Request): string {
    const id = cookieValue(request.headers.get('cookie'), SESSION_COOKIE);
    if (id !== null) this.sessions.delete(digest(id));
    return this.cookie(request, '', 0);
  }

  get size(): number {
    return this.sessions.size;
  }

  private cookie(request: Request, value: string, maxAgeSeconds: number): string {
    return `${SESSION_COOKIE}=${value}; Path=/; Max-Age=${maxAgeSeconds}; HttpOnly; SameSite=Strict${this.isHttps(request) ? '; Secure' : ''}`;
  }

  private sweep(): void {
    const now = this.now();
    for (const [key, session] of this.sessions) if (session.expiresAt <= now) this.sessions.delete(key);
  }
}

/** A session-authenticated request's answer with its renewed cookie, when one is due. */
export function withRenewal(sessions: AdminSessions, request: Request, response: Response): Response {
  const cookie = sessions.renewalFor(request);
  if (cookie) response.headers.append('set-cookie', cookie);
  return response;
}
