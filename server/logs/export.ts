/**
 * Log download: GET /export/logs streams every entry matching a filter as JSONL (full entries) or
 * CSV (the summary columns). The body pulls one page from the store at a time, at the client's pace,
 * so memory stays flat however many entries match.
 */
import { Elysia } from 'elysia';
import { isAuthorized } from '../admin/token.ts';
import { BadRequestError, errorResponse, InputError, ProxyError } from '../errors.ts';
import { JsonText, type LogCursor, type LogFilter, type LogQuery, type LogRow, type LogSummary, type Store } from '../store/types.ts';
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

const unauthorized = () => {
  const res = errorResponse(new ProxyError('Missing or wrong admin token: send Authorization: Bearer <token>', 401, 'invalid_request_error', 'unauthorized'));
  res.headers.set('www-authenticate', 'Bearer');
  return res;
};

/** GET /export/logs?format=jsonl|csv&from=&to=&method=&statusClass=&statusCode=&model=&path=&stream= with the admin token. */
export function logDownloadRoutes(deps: { store: Store; adminToken: string }) {
  return new Elysia().get('/export/logs', ({ request, server }) => {
    if (!isAuthorized(request.headers.get('authorization'), deps.adminToken)) return unauthorized();
    let parsed: ReturnType<typeof parseExportParams>;
    try {
      parsed = parseExportParams(new URL(request.url).searchParams);
    } catch (err) {
      if (!(err instanceof InputError)) throw err;
      return errorResponse(new BadRequestError(err.message, 'invalid_parameter', err.field));
    }
    // A long download may wait on the store between two pages longer than the idle timeout.
    server?.timeout(request, 0);
    return logExportResponse({ store: deps.store, ...parsed });
  });
}
