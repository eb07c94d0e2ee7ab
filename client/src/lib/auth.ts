/** The admin token: asked once, kept in localStorage, sent as a bearer header, dropped on 401. */
import { createSignal } from 'solid-js';

// The GraphQL playground reads the token from here too (server/admin/graphiql.ts): keep the two in step.
const KEY = 'lite-proxy.admin-token';
const [token, setTokenSignal] = createSignal<string | null>(localStorage.getItem(KEY));

export { token };

export function setToken(value: string): void {
  localStorage.setItem(KEY, value);
  setTokenSignal(value);
}

export function logout(): void {
  localStorage.removeItem(KEY);
  setTokenSignal(null);
}

/** Checks a token against the server before keeping it. */
export async function checkToken(value: string): Promise<'ok' | 'wrong' | 'unreachable'> {
  try {
    const res = await fetch('/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${value}` },
      body: JSON.stringify({ query: '{ health { status } }' }),
    });
    if (res.status === 401) return 'wrong';
    return res.ok ? 'ok' : 'unreachable';
  } catch {
    return 'unreachable';
  }
}
