/**
 * Log export formats: JSONL (full entries) and CSV (the summary columns), and the export itself as
 * a Response whose body pulls one page from the store at a time, at the reader's pace, so memory
 * stays flat however many entries match. The admin's download routes are in admin/downloads.ts.
 */
import { JsonText } from '../json.ts';
import type { LogCursor, LogFilter, LogQuery, LogRow, LogSummary, Store } from '../store/types.ts';

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
const PAGE_TARGET_CHARS = 1024 * 1024;

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
