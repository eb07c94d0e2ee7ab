/**
 * Cross-origin rules. The admin API (`/graphql`) answers CORS only for ADMIN_ALLOWED_ORIGINS, with
 * credentials (its session and token are the admin's); with none listed it is same-origin only, and
 * an arbitrary Origin is never echoed. `/v1` answers CORS only for CORS_ORIGINS (`*` for any),
 * without credentials: a browser app may call it with a key it holds, never with the admin's cookie.
 */
/** Yoga's CORS options (@whatwg-node/server's shape), or false for no CORS headers at all. */
type CORSOptions = { origin: string; credentials: boolean; methods: string[]; allowedHeaders: string[]; maxAge: number } | false;

/** An origin as browsers send it: scheme, host and port, nothing else. */
const ORIGIN = /^https?:\/\/[^/?#\s]+$/i;

/** Parses a comma-separated list of origins (and `*` where allowed); throws with the bad entry. */
export function parseOrigins(raw: string | undefined, opts: { wildcard: boolean }): string[] {
  const entries = (raw ?? '').split(',').map((e) => e.trim().replace(/\/+$/, '')).filter((e) => e !== '');
  for (const e of entries) {
    if (e === '*' ? !opts.wildcard : !ORIGIN.test(e)) throw new Error(`"${e}" is not an origin such as https://app.example.com${opts.wildcard ? ' (or *)' : ''}`);
  }
  return entries.map((e) => (e === '*' ? e : e.toLowerCase()));
}

/** Yoga's CORS for the admin API: the listed origins, with credentials; nothing for any other. */
export function adminCors(origins: readonly string[]): (request: Request) => CORSOptions {
  return (request) => {
    const origin = request.headers.get('origin')?.toLowerCase();
    if (!origin || !origins.includes(origin)) return false;
    return { origin, credentials: true, methods: ['GET', 'POST', 'OPTIONS'], allowedHeaders: ['authorization', 'content-type', 'x-graphql-csrf'], maxAge: 600 };
  };
}

/** CORS for `/v1`: a preflight answer and the headers of an answer, for the listed origins only. */
export class ProxyCors {
  private readonly any: boolean;

  constructor(private readonly origins: readonly string[]) {
    this.any = origins.includes('*');
  }

  get none(): boolean {
    return this.origins.length === 0;
  }

  private allowed(request: Request): string | null {
    const origin = request.headers.get('origin');
    if (!origin) return null;
    return this.any || this.origins.includes(origin.toLowerCase()) ? origin : null;
  }

  /** The answer to a preflight from a listed origin; null when the request is not one. */
  preflight(request: Request): Response | null {
    if (request.method !== 'OPTIONS' || !request.headers.has('access-control-request-method')) return null;
    const origin = this.allowed(request);
    if (!origin) return new Response(null, { status: 204, headers: { vary: 'origin' } });
    return new Response(null, {
      status: 204,
      headers: {
        'access-control-allow-origin': this.any ? '*' : origin,
        'access-control-allow-methods': 'GET, POST, OPTIONS',
        'access-control-allow-headers': request.headers.get('access-control-request-headers') ?? 'authorization, content-type',
        'access-control-max-age': '600',
        vary: 'origin',
      },
    });
  }

  /** The answer with CORS headers for a listed origin (never credentials). */
  decorate(request: Request, response: Response): Response {
    const origin = this.allowed(request);
    if (!origin) return response;
    response.headers.set('access-control-allow-origin', this.any ? '*' : origin);
    response.headers.set('access-control-expose-headers', '*');
    response.headers.append('vary', 'origin');
    return response;
  }
}
