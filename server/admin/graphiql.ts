/**
 * The GraphiQL page: @graphql-yoga/render-graphiql's own page (editor inlined, no CDN), opened with
 * the admin's token already in its headers editor. The page is public and the same for everyone,
 * so the token is never in it nor in the URL: the admin client keeps the token in localStorage on
 * this same origin, and a few lines of script read it there, in the browser, when the page starts.
 */
import type { GraphiQLOptions } from 'graphql-yoga';

/** Where client/src/lib/auth.ts keeps the admin token (tests/e2e-log-detail.test.ts pins the pair). */
export const ADMIN_TOKEN_STORAGE_KEY = 'lite-proxy.admin-token';

/** The template's one call that starts GraphiQL with the options we gave it (as a JSON literal). */
const START_CALL = 'YogaGraphiQL.renderYogaGraphiQL(';

/**
 * Runs in the browser in place of the call above. `headers` fills the headers editor of a new tab;
 * `shouldPersistHeaders: false` keeps GraphiQL from copying the token into its own storage, where
 * it would outlive a logout. Without a stored token (or with storage blocked) the page still opens
 * with empty headers, and an operation gets the server's 401 message.
 */
const START_WITH_TOKEN = `(function (root, options) {
  var token = null;
  try { token = window.localStorage.getItem(${JSON.stringify(ADMIN_TOKEN_STORAGE_KEY)}); } catch (e) { /* storage blocked: no token */ }
  if (token) options = Object.assign({}, options, { headers: JSON.stringify({ Authorization: 'Bearer ' + token }, null, 2) });
  return YogaGraphiQL.renderYogaGraphiQL(root, options);
})(`;

export async function renderAdminGraphiQL(options: GraphiQLOptions): Promise<string> {
  // Imported on first use: the bundle it carries costs ~25 MB of memory.
  const { renderGraphiQL } = await import('@graphql-yoga/render-graphiql');
  const html = renderGraphiQL({ ...options, shouldPersistHeaders: false });
  const at = html.lastIndexOf(START_CALL);
  // A template that changed shape would open GraphiQL without the token: fail loudly instead (tests/graphiql.test.ts).
  if (at < 0) throw new Error('@graphql-yoga/render-graphiql: the page no longer calls YogaGraphiQL.renderYogaGraphiQL(');
  return html.slice(0, at) + START_WITH_TOKEN + html.slice(at + START_CALL.length);
}
