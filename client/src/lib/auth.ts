/**
 * The admin's session. Signing in exchanges the admin token for a session cookie (HttpOnly, so no
 * script of the page can read it; server/admin/sessions.ts): the page itself never keeps the token.
 * Every request then rides on the cookie and sends CSRF_HEADER, which the server requires of
 * cookie-signed requests. A 401 from any request means the session ended (expired, logged out in
 * another tab, server restarted): back to the login.
 */
import { createSignal } from 'solid-js';

/** server/admin/sessions.ts CSRF_HEADER. */
export const CSRF_HEADERS = { 'x-lite-proxy-csrf': '1' } as const;

// 0.1.0 kept the token in localStorage: a token left there by an older release is removed.
try {
  localStorage.removeItem('lite-proxy.admin-token');
} catch {
  // storage blocked: nothing kept there either
}

/** null while the first check runs; then whether the browser holds a live session. */
const [signedIn, setSignedIn] = createSignal<boolean | null>(null);

export { signedIn };

/** Asks the server whether the session cookie (if any) is still signed in. */
export async function checkSession(): Promise<void> {
  try {
    const res = await fetch('/admin/session', { credentials: 'same-origin', headers: CSRF_HEADERS });
    setSignedIn(res.ok);
  } catch {
    setSignedIn(false);
  }
}

/** Signs in with the admin token; the server answers with the session cookie. */
export async function signIn(token: string): Promise<'ok' | 'wrong' | 'throttled' | 'unreachable'> {
  try {
    const res = await fetch('/admin/session', {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'content-type': 'application/json', ...CSRF_HEADERS },
      body: JSON.stringify({ token }),
    });
    if (res.ok) {
      setSignedIn(true);
      return 'ok';
    }
    return res.status === 401 ? 'wrong' : res.status === 429 ? 'throttled' : 'unreachable';
  } catch {
    return 'unreachable';
  }
}

/** The session ended on the server's side (a 401): back to the login. */
export function sessionEnded(): void {
  setSignedIn(false);
}

/** Log out: the server ends the session and clears its cookie. */
export async function logout(): Promise<void> {
  try {
    await fetch('/admin/session', { method: 'DELETE', credentials: 'same-origin', headers: CSRF_HEADERS });
  } finally {
    setSignedIn(false);
  }
}
