/**
 * Log export: a Response whose body pulls one page from the store at a time, at the reader's pace,
 * so memory stays flat however many entries match. The store formats each page (JSONL or CSV,
 * store/log-lines.ts); on SQLite its reader Worker does, so the proxy's thread only passes bytes on.
 * The admin's download routes are in admin/downloads.ts.
 */
import { CSV_COLUMNS } from '../store/log-lines.ts';
import { LOG_EXPORT_FORMATS, type LogCursor, type LogExportFormat, type LogFilter, type Store } from '../store/types.ts';

export { LOG_EXPORT_FORMATS, type LogExportFormat };
export { CSV_COLUMNS, csvCell, csvLine, jsonLine } from '../store/log-lines.ts';

const CONTENT_TYPES: Record<LogExportFormat, string> = {
  jsonl: 'application/x-ndjson; charset=utf-8',
  csv: 'text/csv; charset=utf-8',
};

export function exportFileName(format: LogExportFormat, now = new Date()): string {
  return `lite-proxy-logs-${now.toISOString().slice(0, 10)}.${format}`;
}

/** Entries per page at most, and the bytes a page should come near: bodies may be up to LOG_BODY_BYTES each. */
const MAX_PAGE = 200;
const PAGE_TARGET_BYTES = 1024 * 1024;

/**
 * The download as a Response whose body reads the store one page per pull. CSV reads only the
 * summary columns; JSONL reads whole entries and sizes its pages by what the last one weighed.
 */
export function logExportResponse(opts: { store: Store; filter: LogFilter; format: LogExportFormat }): Response {
  const { store, filter, format } = opts;
  let after: LogCursor | null = null;
  // A full entry may weigh several MiB (LOG_BODY_BYTES per body): start with one, and grow the page
  // (at most doubling) while entries turn out light.
  let limit = format === 'csv' ? MAX_PAGE : 1;
  let header = format === 'csv' ? `${CSV_COLUMNS.join(',')}\r\n` : '';
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const page = await store.exportPage({ filter, limit, after }, format);
        if (header) controller.enqueue(new TextEncoder().encode(header));
        header = '';
        if (page.bytes.length > 0) controller.enqueue(page.bytes);
        if (!page.last || page.rows < limit) {
          controller.close();
          return;
        }
        after = page.last;
        const fits = Math.floor((limit * PAGE_TARGET_BYTES) / Math.max(page.bytes.length, 1));
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
