/**
 * The admin page's sign-in (sessions.ts):
 *   POST   /admin/session  {"token": "…"}  → 200 and the session cookie; a wrong token is a failed
 *                                           login (401, and throttled like any other: 429)
 *   GET    /admin/session                   → 200 when the cookie (or a Bearer token) is signed in, else 401
 *   DELETE /admin/session                   → 204, the session ended and its cookie cleared (needs CSRF_HEADER)
 * Sign-in takes JSON only, so that a form on another site cannot sign a browser in (login CSRF).
 */
import { Elysia } from 'elysia';
import { BadRequestError, ForbiddenError, HttpError, TooManyAttemptsError, UnauthorizedError } from '../errors.ts';
import { jsonErrorResponse } from '../http-errors.ts';
import { isAuthorized, tokenMatches } from './auth.ts';
import type { LoginThrottle } from './login-throttle.ts';
import { type AdminSessions, CSRF_HEADER } from './sessions.ts';

/** A sign-in body is a token in JSON: a few hundred bytes. */
const MAX_SIGN_IN_BYTES = 4_096;
const NOT_SIGNED_IN = 'Not signed in: sign in with the admin token';

export function adminSessionRoutes(deps: {
  token: string | null;
  sessions: AdminSessions;
  throttle: { limiter: LoginThrottle; ipOf: (request: Request) => string | null };
}) {
  const { sessions, throttle } = deps;
  const signedIn = (expiresInSeconds: number | null, headers: HeadersInit = {}) =>
    Response.json({ signedIn: true, expiresInSeconds }, { headers: { 'cache-control': 'no-store', ...headers } });
  const ttlSeconds = () => Math.floor(sessions.ttlMs / 1000);

  return new Elysia()
    .post('/admin/session', async ({ request }) => {
      if (deps.token === null) return signedIn(null);
      const ip = throttle.ipOf(request);
      if (ip) {
        const blocked = await throttle.limiter.blockedFor(ip);
        if (blocked > 0) return jsonErrorResponse(new TooManyAttemptsError(blocked));
      }
      let token: string;
      try {
        token = await signInToken(request);
      } catch (err) {
        if (err instanceof HttpError) return jsonErrorResponse(err);
        throw err;
      }
      if (!tokenMatches(token, deps.token)) {
        const starts = ip ? await throttle.limiter.failed(ip) : 0;
        return jsonErrorResponse(starts > 0 ? new TooManyAttemptsError(starts) : new UnauthorizedError('Wrong admin token'));
      }
      return signedIn(ttlSeconds(), { 'set-cookie': sessions.create(request) });
    }, { parse: 'none' })
    .get('/admin/session', ({ request }) => {
      if (deps.token === null || isAuthorized(request.headers.get('authorization'), deps.token)) return signedIn(null);
      if (!sessions.authenticates(request)) return jsonErrorResponse(new UnauthorizedError(NOT_SIGNED_IN));
      const renewal = sessions.renewalFor(request);
      return signedIn(ttlSeconds(), renewal ? { 'set-cookie': renewal } : {});
    })
    .delete('/admin/session', ({ request }) => {
      if (!request.headers.has(CSRF_HEADER)) return jsonErrorResponse(new ForbiddenError(`Log out must send the ${CSRF_HEADER} header`));
      return new Response(null, { status: 204, headers: { 'set-cookie': sessions.end(request), 'cache-control': 'no-store' } });
    }, { parse: 'none' });
}

/** The token of a sign-in body: JSON `{"token": "…"}` within MAX_SIGN_IN_BYTES. */
async function signInToken(request: Request): Promise<string> {
  const type = request.headers.get('content-type') ?? '';
  if (!type.toLowerCase().startsWith('application/json')) {
    throw new HttpError('Sign in with a JSON body: {"token": "<admin token>"}', 415, 'unsupported_media_type');
  }
  const length = Number(request.headers.get('content-length') ?? NaN);
  if (!(length <= MAX_SIGN_IN_BYTES)) throw new BadRequestError(`A sign-in body must declare its length, at most ${MAX_SIGN_IN_BYTES} bytes`, 'invalid_body');
  let body: unknown;
  try {
    body = JSON.parse(await request.text());
  } catch {
    throw new BadRequestError('The sign-in body is not JSON', 'invalid_json');
  }
  const token = (body as { token?: unknown } | null)?.token;
  if (typeof token !== 'string' || token === '') throw new BadRequestError('The sign-in body needs "token": the admin token', 'invalid_body');
  return token.trim();
}
