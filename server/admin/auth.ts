/**
 * Bearer-token auth for every admin route (/graphql, /export, /metrics): one parser, one
 * constant-time check, one guard. Each surface renders the refusal in its own shape (the guard is
 * given the renderer), so a 401 from /graphql is a GraphQL error and one from /export is JSON.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { ForbiddenError, type HttpError, TooManyAttemptsError, UnauthorizedError } from '../errors.ts';
import type { LoginThrottle } from './login-throttle.ts';
import { type AdminSessions, CSRF_HEADER } from './sessions.ts';

/** The token of an `Authorization: Bearer …` header; the scheme name is case-insensitive (RFC 9110 §11.1). */
export function bearerToken(header: string | null): string | null {
  const match = header?.match(/^bearer\s+(.+)$/i);
  return match ? match[1]!.trim() : null;
}

const digest = (s: string) => createHash('sha256').update(s).digest();

/** Constant-time comparison (of digests, so that lengths do not show either). */
export function tokenMatches(candidate: string | null, token: string): boolean {
  return candidate !== null && timingSafeEqual(digest(candidate), digest(token));
}

export function isAuthorized(header: string | null, token: string): boolean {
  return tokenMatches(bearerToken(header), token);
}

export const ADMIN_TOKEN_MISSING = 'Missing or wrong admin token: send Authorization: Bearer <token>, or sign in on the admin page';
export const CSRF_MISSING = `A request signed in by the session cookie must send the ${CSRF_HEADER} header`;

/**
 * A guard for one token: `check(request)` gives null when the request may pass, else the 401 (or,
 * from an address that failed too often, the 429 of the throttle) in the surface's own shape. A
 * null token leaves the route open (METRICS_TOKEN unset).
 *
 * With `sessions`, a request without an Authorization header may pass on the admin's session
 * cookie instead (sessions.ts); with `csrf: 'header'` it must then carry CSRF_HEADER too (403
 * otherwise). /graphql leaves that check to Yoga's useCSRFPrevention (`csrf: 'yoga'`).
 */
export function bearerGuard(opts: {
  token: string | null;
  message: string;
  render: (err: HttpError) => Response;
  /** Failed attempts per client address; the address as ipOf gives it (client-ip.ts). */
  throttle?: { limiter: LoginThrottle; ipOf: (request: Request) => string | null };
  sessions?: AdminSessions;
  csrf?: 'header' | 'yoga';
}) {
  const tooMany = (seconds: number) => opts.render(new TooManyAttemptsError(seconds));
  return {
    async check(request: Request): Promise<Response | null> {
      const authorization = request.headers.get('authorization');
      if (opts.token === null || isAuthorized(authorization, opts.token)) return null;
      if (authorization === null && opts.sessions?.authenticates(request)) {
        if (opts.csrf === 'header' && !request.headers.has(CSRF_HEADER)) return opts.render(new ForbiddenError(CSRF_MISSING));
        return null;
      }
      const ip = opts.throttle?.ipOf(request);
      if (opts.throttle && ip) {
        const blocked = await opts.throttle.limiter.blockedFor(ip);
        if (blocked > 0) return tooMany(blocked);
        const starts = await opts.throttle.limiter.failed(ip);
        if (starts > 0) return tooMany(starts);
      }
      return opts.render(new UnauthorizedError(opts.message));
    },
  };
}

export type BearerGuard = ReturnType<typeof bearerGuard>;
