/**
 * Log entries as export lines: JSONL (full entries) and CSV (the summary columns), and a page of
 * them as bytes. In the store layer so that the SQLite reader formats a download's page beside the
 * rows it read (sqlite-reader.ts) and hands the proxy's thread only bytes; logs/export-formats.ts
 * streams the pages.
 */
import { JsonText } from '../json.ts';
import type { ExportPage, LogExportFormat, LogRow, LogSummary } from './types.ts';

export const CSV_COLUMNS = [
  'id', 'timestamp', 'method', 'path', 'model', 'backendModel', 'statusCode', 'stream', 'durationMs', 'ttftMs',
  'promptTokens', 'completionTokens', 'totalTokens', 'error', 'clientIp', 'userAgent',
] as const satisfies readonly (keyof LogSummary)[];

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

const encoder = new TextEncoder();

/** A page of entries in the format: summaries for CSV, whole entries (bodies as JsonText) for JSONL. */
export function exportPageOf(format: LogExportFormat, rows: readonly LogSummary[] | readonly LogRow[]): ExportPage {
  const text = format === 'csv' ? rows.map(csvLine).join('') : (rows as readonly LogRow[]).map(jsonLine).join('');
  const last = rows.at(-1);
  return { bytes: encoder.encode(text), rows: rows.length, last: last ? { timestamp: last.timestamp, id: last.id } : null };
}
