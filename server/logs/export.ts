/**
 * Log download: GET /export/logs streams every entry matching a filter as JSONL (full entries) or
 * CSV (the summary columns). The body pulls one page from the store at a time, at the client's pace,
 * so memory stays flat however many entries match.
 */
import { Elysia } from 'elysia';
import { isAuthorized } from '../admin/token.ts';
import { BadRequestError, errorResponse, InputError, ProxyError } from '../errors.ts';
import { JsonText } from '../json.ts';
import { type LogCursor, type LogFilter, type LogQuery, type LogRow, type LogSummary, type Store } from '../store/types.ts';
import { validateFilter } from './filter.ts';

export const LOG_EXPORT_FORMATS = ['jsonl', 'csv'] as const;
export type LogExportFormat = (typeof LOG_EXPORT_FORMATS)[number];

export const CSV_COLUMNS = [
  'id', 'timestamp', 'method', 'path', 'model', 'backendModel', 'statusCode', 'stream', 'durationMs', 'ttftMs',
  'promptTokens', 'completionTokens', 'totalTokens', 'error', 'clientIp', 'userAgent',
] as const satisfies readonly (keyof LogSummary)[];

const CONTENT_TYPES: Record<LogExportFormat, string> = {
  jsonl: 'application/x-ndjson; charset=utf-8',
  csv: 'text/csv; charset=utf-8',
};

/**
 * One entry as one JSON line. Bodies are written as the JSON text they were stored as (no parse and
 * re-serialise); a raw line break in JSON text can only be whitespace between tokens, so it becomes a space.
 */
export function jsonLine(row: LogRow): string {
  const fields = Object.entries(row).map(([key, value]) => {
    const json = value instanceof JsonText ? value.text.replace(/[\r\n]+/g, ' ') : JSON.stringify(value ?? null);
    return `${JSON.stringify(key)}:${json}`;
  });
  return `{${fields.join(',')}}\n`;
}

/** Spreadsheets run a cell that starts like a formula; a leading ' makes it text (OWASP "CSV injection"). */
const FORMULA_START = /^[=+\-@\t\r]/;

export function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (value instanceof Date) return value.toISOString();
  if (typeof value !== 'string') return String(value);
  const text = FORMULA_START.test(value) ? `'${value}` : value;
  // RFC 4180: quote a field that holds a quote, comma or line break; double the quotes inside.
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export function csvLine(row: LogSummary): string {
  return `${CSV_COLUMNS.map((c) => csvCell(row[c])).join(',')}\r\n`;
}

export function exportFileName(format: LogExportFormat, now = new Date()): string {
  return `lite-proxy-logs-${now.toISOString().slice(0, 10)}.${format}`;
}

/** Entries per page at most, and the text a page should come near: bodies may be up to LOG_BODY_BYTES each. */
const MAX_PAGE = 200;
const PAGE_TARGET_CHARS = 4 * 1024 * 1024;

/**
 * The download as a Response whose body reads the store one page per pull. CSV reads only the
 * summary columns; JSONL reads whole entries and sizes its pages by what the last one weighed.
 */
export function logExportResponse(opts: { store: Store; filter: LogFilter; format: LogExportFormat }): Response {
  const { store, filter, format } = opts;
  const encoder = new TextEncoder();
  const readPage = async (q: LogQuery): Promise<{ rows: LogSummary[]; lines: string[] }> => {
    if (format === 'csv') {
      const rows = await store.queryLogs(q);
      return { rows, lines: rows.map(csvLine) };
    }
    const rows = await store.queryLogRows(q);
    return { rows, lines: rows.map(jsonLine) };
  };
  let after: LogCursor | null = null;
  // A full entry may weigh several MiB (LOG_BODY_BYTES per body): start with one, and grow the page
  // (at most doubling) while entries turn out light.
  let limit = format === 'csv' ? MAX_PAGE : 1;
  let header = format === 'csv' ? `${CSV_COLUMNS.join(',')}\r\n` : '';
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { rows, lines } = await readPage({ filter, limit, after });
        if (header) controller.enqueue(encoder.encode(header));
        header = '';
        let chars = 0;
        for (const line of lines) {
          chars += line.length;
          controller.enqueue(encoder.encode(line));
        }
        const last = rows.at(-1);
        if (!last || rows.length < limit) {
          controller.close();
          return;
        }
        after = { timestamp: last.timestamp, id: last.id };
        const fits = Math.floor((limit * PAGE_TARGET_CHARS) / Math.max(chars, 1));
        limit = Math.max(1, Math.min(MAX_PAGE, limit * 2, fits));
      } catch (err) {
        // The status line is long gone: cutting the body is the only way left to say it failed.
        console.error(`[export] log download failed: ${String(err)}`);
        controller.error(err);
      }
    },
  }, { highWaterMark: 0 });
  return new Response(body, {
    headers: {
      'content-type': CONTENT_TYPES[format],
      'content-disposition': `attachment; filename="${exportFileName(format)}"`,
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
    },
  });
}

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

const unauthorized = (message = 'Missing or wrong admin token: send Authorization: Bearer <token>') => {
  const res = errorResponse(new ProxyError(message, 401, 'invalid_request_error', 'unauthorized'));
  res.headers.set('www-authenticate', 'Bearer');
  return res;
};

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
  return errorResponse(new BadRequestError(err.message, 'invalid_parameter', err.field));
};

/**
 * GET /export/logs?format=jsonl|csv&from=&to=&method=&statusClass=&statusCode=&model=&path=&stream=
 * with the admin token, or GET /export/logs?ticket=<id> with a ticket from
 * POST /export/logs/ticket?<the same parameters> (which needs the token).
 */
export function logDownloadRoutes(deps: { store: Store; adminToken: string }) {
  const tickets = new DownloadTickets();
  return new Elysia()
    .post('/export/logs/ticket', ({ request }) => {
      if (!isAuthorized(request.headers.get('authorization'), deps.adminToken)) return unauthorized();
      const search = new URL(request.url).searchParams;
      try {
        parseExportParams(search);
      } catch (err) {
        return badParams(err);
      }
      const id = tickets.issue(search.toString());
      return Response.json({ url: `/export/logs?ticket=${id}`, expiresInSeconds: TICKET_TTL_MS / 1000 });
    })
    .get('/export/logs', ({ request, server }) => {
      let search = new URL(request.url).searchParams;
      const ticket = search.get('ticket');
      if (ticket !== null) {
        if ([...search.keys()].length > 1) {
          return errorResponse(new BadRequestError('a download link takes no other parameters', 'invalid_parameter', 'ticket'));
        }
        const query = tickets.take(ticket);
        if (query === null) return unauthorized('This download link was used already or has expired: start the download again.');
        search = new URLSearchParams(query);
      } else if (!isAuthorized(request.headers.get('authorization'), deps.adminToken)) {
        return unauthorized();
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
