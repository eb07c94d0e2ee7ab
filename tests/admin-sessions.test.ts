/**
 * Admin sessions (issue 11): signing in exchanges the admin token for an HttpOnly, SameSite=Strict
 * cookie (Secure over HTTPS), with a sliding expiry, ended by Log out and by a restart; a request
 * the cookie signs in needs the CSRF header (Yoga's useCSRFPrevention on /graphql); Bearer tokens
 * work as before, without it.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { ADMIN_TOKEN, startApp, type TestApp } from './helpers/app.ts';

const CSRF = { 'x-lite-proxy-csrf': '1' };
const HEALTH = JSON.stringify({ query: '{ health { status } }' });

function signIn(app: TestApp, body: unknown = { token: ADMIN_TOKEN }, headers: Record<string, string> = {}) {
  return fetch(`${app.url}/admin/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

/** The cookie pair (name=value) of a Set-Cookie header. */
const pairOf = (setCookie: string | null) => setCookie!.split(';')[0]!;

async function sessionCookie(app: TestApp): Promise<string> {
  const res = await signIn(app);
  expect(res.status).toBe(200);
  return pairOf(res.headers.get('set-cookie'));
}

function graphql(app: TestApp, headers: Record<string, string>, init: { method?: string; body?: string; contentType?: string } = {}) {
  const method = init.method ?? 'POST';
  const url = method === 'GET' ? `${app.url}/graphql?query=${encodeURIComponent('{ health { status } }')}` : `${app.url}/graphql`;
  return fetch(url, {
    method,
    headers: { accept: 'application/graphql-response+json, application/json', ...(method === 'POST' ? { 'content-type': init.contentType ?? 'application/json' } : {}), ...headers },
    body: method === 'POST' ? init.body ?? HEALTH : undefined,
  });
}

describe('admin sessions', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startApp({ sessionTtlMs: 1_500 });
  });
  afterAll(() => app.stop());

  test('signing in sets an HttpOnly, SameSite=Strict, Path=/ cookie with the session length, not Secure over plain HTTP; the cookie is not the token', async () => {
    const res = await signIn(app);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ signedIn: true, expiresInSeconds: 1 });
    const cookie = res.headers.get('set-cookie')!;
    expect(cookie).toMatch(/^lite_proxy_session=[\w-]{43}; Path=\/; Max-Age=1; HttpOnly; SameSite=Strict$/);
    expect(cookie).not.toContain(ADMIN_TOKEN);
    expect(res.headers.get('cache-control')).toBe('no-store');
  });

  test('a wrong token, a form body or a body without a token gets no cookie', async () => {
    const wrong = await signIn(app, { token: 'not-the-token' });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('set-cookie')).toBeNull();
    const form = await fetch(`${app.url}/admin/session`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `token=${ADMIN_TOKEN}` });
    expect(form.status).toBe(415);
    expect(form.headers.get('set-cookie')).toBeNull();
    for (const body of ['{}', '[]', 'null', '{"token": 5}', 'not json']) {
      const res = await signIn(app, body);
      expect(res.status).toBe(400);
      expect(res.headers.get('set-cookie')).toBeNull();
    }
    const huge = await signIn(app, { token: 'x'.repeat(10_000) });
    expect(huge.status).toBe(400);
  });

  test('the cookie signs in GraphQL with the CSRF header; without it a GET or a simple POST is refused with 403 (Yoga\'s CSRF prevention)', async () => {
    const cookie = await sessionCookie(app);
    const ok = await graphql(app, { cookie, ...CSRF });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ data: { health: { status: 'ok' } } });
    const getOk = await graphql(app, { cookie, ...CSRF }, { method: 'GET' });
    expect(getOk.status).toBe(200);

    const get = await graphql(app, { cookie }, { method: 'GET' });
    expect(get.status).toBe(403);
    expect(JSON.stringify(await get.json())).toContain('CSRF');
    // A form another site could post: text/plain needs no preflight.
    const simple = await graphql(app, { cookie }, { contentType: 'text/plain' });
    expect(simple.status).toBe(403);
    // No cookie: the 401, as before.
    const none = await graphql(app, { ...CSRF });
    expect(none.status).toBe(401);
    // A forged or ended session id is no session.
    const forged = await graphql(app, { cookie: 'lite_proxy_session=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', ...CSRF });
    expect(forged.status).toBe(401);
  });

  test('Authorization: Bearer works as before (a GET too), with no CSRF header; a wrong Bearer is refused even with a good cookie', async () => {
    const bearer = { authorization: `Bearer ${ADMIN_TOKEN}` };
    expect((await graphql(app, bearer)).status).toBe(200);
    expect((await graphql(app, bearer, { method: 'GET' })).status).toBe(200);
    const cookie = await sessionCookie(app);
    expect((await graphql(app, { cookie, ...CSRF, authorization: 'Bearer wrong' })).status).toBe(401);
  });

  test('downloads: the ticket takes the cookie with the CSRF header, and refuses it without', async () => {
    const cookie = await sessionCookie(app);
    const ticket = await fetch(`${app.url}/export/logs/ticket?format=jsonl`, { method: 'POST', headers: { cookie, ...CSRF } });
    expect(ticket.status).toBe(200);
    const { url } = (await ticket.json()) as { url: string };
    expect((await fetch(`${app.url}${url}`)).status).toBe(200);
    const noHeader = await fetch(`${app.url}/export/logs/ticket?format=jsonl`, { method: 'POST', headers: { cookie } });
    expect(noHeader.status).toBe(403);
    const direct = await fetch(`${app.url}/export/logs?format=jsonl`, { headers: { cookie } });
    expect(direct.status).toBe(403);
  });

  test('GET /admin/session says whether the cookie is signed in', async () => {
    const cookie = await sessionCookie(app);
    const yes = await fetch(`${app.url}/admin/session`, { headers: { cookie } });
    expect(yes.status).toBe(200);
    expect(await yes.json()).toMatchObject({ signedIn: true });
    const no = await fetch(`${app.url}/admin/session`);
    expect(no.status).toBe(401);
  });

  test('the expiry slides: a session used within its length lives on; one left idle past it has ended', async () => {
    const cookie = await sessionCookie(app);
    for (let i = 0; i < 4; i++) {
      await Bun.sleep(600);
      expect((await graphql(app, { cookie, ...CSRF })).status).toBe(200);
    }
    // 2.4 s after sign-in, longer than the 1.5 s session: alive because it was used.
    await Bun.sleep(1_700);
    expect((await graphql(app, { cookie, ...CSRF })).status).toBe(401);
  });

  test('Log out ends the session and clears the cookie; it needs the CSRF header', async () => {
    const cookie = await sessionCookie(app);
    const refused = await fetch(`${app.url}/admin/session`, { method: 'DELETE', headers: { cookie } });
    expect(refused.status).toBe(403);
    expect((await graphql(app, { cookie, ...CSRF })).status).toBe(200);
    const out = await fetch(`${app.url}/admin/session`, { method: 'DELETE', headers: { cookie, ...CSRF } });
    expect(out.status).toBe(204);
    expect(out.headers.get('set-cookie')).toMatch(/^lite_proxy_session=; Path=\/; Max-Age=0; HttpOnly; SameSite=Strict$/);
    expect((await graphql(app, { cookie, ...CSRF })).status).toBe(401);
  });

  test('failed sign-ins count toward the login throttle', async () => {
    const throttled = await startApp({ loginThrottle: { failures: 3 } });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++) statuses.push((await signIn(throttled, { token: `wrong-${i}` })).status);
      expect(statuses.slice(0, 2)).toEqual([401, 401]);
      expect(statuses.slice(-1)).toEqual([429]);
    } finally {
      await throttled.stop();
    }
  });
});

describe('sessions across restarts and HTTPS', () => {
  test('a restart ends every session: the new process does not know the old cookie', async () => {
    const first = await startApp();
    const cookie = await sessionCookie(first);
    expect((await graphql(first, { cookie, ...CSRF })).status).toBe(200);
    await first.stop();
    const second = await startApp();
    try {
      expect((await graphql(second, { cookie, ...CSRF })).status).toBe(401);
    } finally {
      await second.stop();
    }
  });

  test('behind a trusted proxy that says HTTPS the cookie is Secure; an untrusted X-Forwarded-Proto changes nothing', async () => {
    const behind = await startApp({ trustedProxies: ['127.0.0.1/32'] });
    const direct = await startApp();
    try {
      const secure = await signIn(behind, { token: ADMIN_TOKEN }, { 'x-forwarded-proto': 'https' });
      expect(secure.headers.get('set-cookie')).toEndWith('; Secure');
      const plain = await signIn(behind);
      expect(plain.headers.get('set-cookie')).not.toContain('Secure');
      const spoofed = await signIn(direct, { token: ADMIN_TOKEN }, { 'x-forwarded-proto': 'https' });
      expect(spoofed.headers.get('set-cookie')).not.toContain('Secure');
    } finally {
      await behind.stop();
      await direct.stop();
    }
  });
});
