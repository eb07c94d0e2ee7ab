/**
 * The GraphiQL page: @graphql-yoga/render-graphiql's editor (no CDN), served as a small page and
 * its files under /graphiql/, each made once on first use, gzipped once (off the event loop) and
 * then answered from memory with an ETag. The package's own page inlines 8.6 MB of script (and its
 * workers as blobs), which a Content-Security-Policy without inline script cannot allow and which
 * cost the event loop a render per visit; here every script is a same-origin file.
 *
 * The page is public and the same for everyone, so no token is ever in it nor in the URL: its
 * operations ride on the admin page's session cookie (same origin, admin/sessions.ts) with the CSRF
 * header the server asks of them, which the headers editor starts with. Without a session an
 * operation gets the 401; a token can still be sent as `Authorization: Bearer …` in the editor.
 */
import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { CSRF_HEADER } from './sessions.ts';
import { securityHeaders } from './security-headers.ts';

export const GRAPHIQL_PREFIX = '/graphiql/';

const gzipAsync = promisify(gzip);

interface Asset {
  type: string;
  body: Uint8Array<ArrayBuffer>;
  gzipped: Uint8Array<ArrayBuffer>;
  etag: string;
}

/**
 * What GraphiQL starts with: the session cookie goes along, the headers editor holds the CSRF
 * header, and `shouldPersistHeaders: false` keeps a token typed there out of the browser's storage.
 */
export function graphiqlOptions(title: string, endpoint: string) {
  return { title, endpoint, credentials: 'same-origin', headers: JSON.stringify({ [CSRF_HEADER]: '1' }, null, 2), shouldPersistHeaders: false };
}

/** Runs in the browser: Monaco's workers from their files, then GraphiQL with its options. */
function startScript(options: ReturnType<typeof graphiqlOptions>): string {
  return `self.MonacoEnvironment = {
  globalAPI: false,
  getWorkerUrl: function (moduleId, label) {
    return ${JSON.stringify(GRAPHIQL_PREFIX)} + (label === 'json' || label === 'graphql' ? label : 'editor') + '.worker.js';
  },
};
YogaGraphiQL.renderYogaGraphiQL(window.document.querySelector('#root'), ${JSON.stringify(options)});
`;
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function pageHtml(title: string, favicon: string): string {
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <title>${escapeHtml(title)}</title>
    <link rel="icon" href="${escapeHtml(favicon)}" />
    <link rel="stylesheet" href="${GRAPHIQL_PREFIX}graphiql.css" />
  </head>
  <body id="body" class="no-focus-outline">
    <noscript>You need to enable JavaScript to run this app.</noscript>
    <div id="root"></div>
    <script src="${GRAPHIQL_PREFIX}graphiql.js"></script>
    <script src="${GRAPHIQL_PREFIX}start.js"></script>
  </body>
</html>
`;
}

const JS = 'text/javascript; charset=utf-8';

export class GraphiQLFiles {
  private files: Promise<Map<string, Asset>> | null = null;

  constructor(private readonly opts: { title: string; endpoint: string }) {}

  /** Made on first use: the editor's bundle costs ~25 MB of memory, which a server nobody browses never pays. */
  private load(): Promise<Map<string, Asset>> {
    this.files ??= (async () => {
      const g = await import('@graphql-yoga/render-graphiql/graphiql');
      const sources: [string, string, string][] = [
        ['page', 'text/html; charset=utf-8', pageHtml(this.opts.title, g.favicon)],
        ['graphiql.css', 'text/css; charset=utf-8', g.css],
        ['graphiql.js', JS, g.js],
        ['start.js', JS, startScript(graphiqlOptions(this.opts.title, this.opts.endpoint))],
        ['editor.worker.js', JS, g.editorWorkerService],
        ['json.worker.js', JS, g.jsonWorker],
        ['graphql.worker.js', JS, g.graphqlWorker],
      ];
      const out = new Map<string, Asset>();
      for (const [name, type, text] of sources) {
        const body = new TextEncoder().encode(text);
        const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`;
        out.set(name, { type, body, gzipped: new Uint8Array(await gzipAsync(body, { level: 9 })), etag });
      }
      return out;
    })();
    this.files.catch(() => (this.files = null));
    return this.files;
  }

  /** The page (`name` = 'page') or one of its files; null for a name that is none of them. */
  async answer(request: Request, name: string): Promise<Response | null> {
    const asset = (await this.load()).get(name);
    if (!asset) return null;
    const headers: Record<string, string> = {
      ...securityHeaders(),
      'content-type': asset.type,
      etag: asset.etag,
      // Revalidated each time (the names carry no hash), answered 304 while unchanged.
      'cache-control': 'no-cache',
      vary: 'accept-encoding',
    };
    if (request.headers.get('if-none-match') === asset.etag) return new Response(null, { status: 304, headers });
    const gzipOk = /\bgzip\b/.test(request.headers.get('accept-encoding') ?? '');
    if (gzipOk) headers['content-encoding'] = 'gzip';
    return new Response(gzipOk ? asset.gzipped : asset.body, { headers });
  }
}
