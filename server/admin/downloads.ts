/**
 * The admin's log downloads: GET /export/logs streams the entries matching a filter (formats in
 * logs/export-formats.ts), with the admin token or a one-use link from POST /export/logs/ticket.
 */
import { Elysia } from 'elysia';
import { BadRequestError, InputError, UnauthorizedError } from '../errors.ts';
import { jsonErrorResponse } from '../http-errors.ts';
import { LOG_EXPORT_FORMATS, type LogExportFormat, logExportResponse } from '../logs/export-formats.ts';
import { validateFilter } from '../logs/filter.ts';
import type { LogFilter, Store } from '../store/types.ts';
import type { BearerGuard } from './auth.ts';

const PARAMS = ['format', 'from', 'to', 'method', 'statusClass', 'statusCode', 'model', 'path', 'stream'];

function date(value: string, name: string): Date {
  const d = new Date(value);
  if (!/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(d.getTime())) {
    throw new InputError(`${name} must be an ISO 8601 date or time such as 2025-01-31 or 2025-01-31T12:00:00Z, got "${value}"`, name);
  }
  return d;
}

/** `to` is inclusive: a date alone means the end of that day (UTC), not its first millisecond. */
function endOf(value: string, name: string): Date {
  const d = date(value, name);
  return /^\d{4}-\d{2}-\d{2}$/.test(value) ? new Date(d.getTime() + 86_400_000 - 1) : d;
}

function int(value: string, name: string): number {
  if (!/^\d+$/.test(value)) throw new InputError(`${name} must be a whole number, got "${value}"`, name);
  return Number(value);
}

/** Reads format and filter from the query string; an empty value counts as not given. */
export function parseExportParams(params: URLSearchParams): { format: LogExportFormat; filter: LogFilter } {
  for (const key of params.keys()) {
    if (!PARAMS.includes(key)) throw new InputError(`unknown parameter "${key}"; known: ${PARAMS.join(', ')}`, key);
  }
  const get = (name: string) => params.get(name)?.trim() || null;
  const format = get('format') ?? 'jsonl';
  if (!(LOG_EXPORT_FORMATS as readonly string[]).includes(format)) {
    throw new InputError(`format must be ${LOG_EXPORT_FORMATS.join(' or ')}, got "${format}"`, 'format');
  }
  const stream = get('stream');
  if (stream !== null && stream !== 'true' && stream !== 'false') throw new InputError(`stream must be true or false, got "${stream}"`, 'stream');
  const raw = (name: string, read: (v: string, name: string) => Date | number) => {
    const v = get(name);
    return v === null ? null : read(v, name);
  };
  const filter = validateFilter({
    from: raw('from', date) as Date | null,
    to: raw('to', endOf) as Date | null,
    method: get('method'),
    statusClass: raw('statusClass', int) as number | null,
    statusCode: raw('statusCode', int) as number | null,
    model: get('model'),
    path: get('path'),
    stream: stream === null ? null : stream === 'true',
  });
  return { format: format as LogExportFormat, filter };
}


const TICKET_TTL_MS = 60_000;
const MAX_TICKETS = 1_000;

/**
 * One-use download links. The admin page asks for one with its token, then lets the browser open
 * the link itself, so that a large download streams to disk through the browser's download manager
 * instead of being collected in the page's memory (a fetch that sends a header cannot hand its
 * stream over). A ticket names the query it was issued for, works once, and expires after a minute.
 */
export class DownloadTickets {
  private readonly tickets = new Map<string, { query: string; expires: number }>();

  issue(query: string, now = Date.now()): string {
    for (const [id, t] of this.tickets) if (t.expires <= now) this.tickets.delete(id);
    // Oldest first: a flood of unused tickets pushes out the oldest, never grows without bound.
    while (this.tickets.size >= MAX_TICKETS) this.tickets.delete(this.tickets.keys().next().value!);
    const id = Buffer.from(crypto.getRandomValues(new Uint8Array(24))).toString('base64url');
    this.tickets.set(id, { query, expires: now + TICKET_TTL_MS });
    return id;
  }

  /** The query a ticket was issued for; null when unknown, used or expired. */
  take(id: string, now = Date.now()): string | null {
    const t = this.tickets.get(id);
    this.tickets.delete(id);
    return t && t.expires > now ? t.query : null;
  }
}

const badParams = (err: unknown): Response => {
  if (!(err instanceof InputError)) throw err;
  return jsonErrorResponse(err);
};

/**
 * GET /export/logs?format=jsonl|csv&from=&to=&method=&statusClass=&statusCode=&model=&path=&stream=
 * with the admin token, or GET /export/logs?ticket=<id> with a ticket from
 * POST /export/logs/ticket?<the same parameters> (which needs the token).
 */
export function logDownloadRoutes(deps: { store: Store; guard: BearerGuard }) {
  const tickets = new DownloadTickets();
  return new Elysia()
    .post('/export/logs/ticket', async ({ request }) => {
      const refused = await deps.guard.check(request);
      if (refused) return refused;
      const search = new URL(request.url).searchParams;
      try {
        parseExportParams(search);
      } catch (err) {
        return badParams(err);
      }
      const id = tickets.issue(search.toString());
      return Response.json({ url: `/export/logs?ticket=${id}`, expiresInSeconds: TICKET_TTL_MS / 1000 });
    })
    .get('/export/logs', async ({ request, server }) => {
      let search = new URL(request.url).searchParams;
      const ticket = search.get('ticket');
      if (ticket !== null) {
        if ([...search.keys()].length > 1) {
          return jsonErrorResponse(new BadRequestError('a download link takes no other parameters', 'invalid_parameter', 'ticket'));
        }
        const query = tickets.take(ticket);
        if (query === null) return jsonErrorResponse(new UnauthorizedError('This download link was used already or has expired: start the download again.'));
        search = new URLSearchParams(query);
      } else {
        const refused = await deps.guard.check(request);
        if (refused) return refused;
      }
      let parsed: ReturnType<typeof parseExportParams>;
      try {
        parsed = parseExportParams(search);
      } catch (err) {
        return badParams(err);
      }
      // A long download may wait on the store between two pages longer than the idle timeout.
      server?.timeout(request, 0);
      return logExportResponse({ store: deps.store, ...parsed });
    });
}
