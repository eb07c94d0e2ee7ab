/**
 * Files the admin saves: a Blob handed to the browser through an object URL and a temporary
 * <a download>, and the log download, the one data path that is not GraphQL: the page asks
 * POST /export/logs/ticket (with the bearer token) for a one-use link, and the browser opens that
 * link itself, so a large file streams to disk instead of into the page's memory.
 */
import type { LogFilter } from '../graphql/operations.ts';
import { CSRF_HEADERS, sessionEnded } from './auth.ts';

/**
 * Some browsers read the object URL after click() returns: it is freed a little later, not at once.
 */
const REVOKE_AFTER_MS = 10_000;

export function saveBlob(blob: Blob, fileName: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  a.style.display = 'none';
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), REVOKE_AFTER_MS);
}

/** Today in the reader's time zone, as YYYY-MM-DD, for file names. */
export function fileDate(now = new Date()): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
}

export type LogFormat = 'jsonl' | 'csv';

/** The query string of GET /export/logs: the same names as the GraphQL LogFilter. */
export function logExportUrl(format: LogFormat, filter: LogFilter): string {
  const params = new URLSearchParams({ format });
  for (const [key, value] of Object.entries(filter)) {
    if (value !== undefined && value !== null && value !== '') params.set(key, String(value));
  }
  return `/export/logs?${params}`;
}

/** The server's message from its error body ({"error":{"message"}}), else the status line. */
async function failure(res: Response): Promise<Error> {
  const text = await res.text().catch(() => '');
  try {
    const message = (JSON.parse(text) as { error?: { message?: string } }).error?.message;
    if (message) return new Error(message);
  } catch {
    // Not JSON (a proxy in front, say): the status line below says enough.
  }
  return new Error(`HTTP ${res.status} ${res.statusText}`.trim());
}

/**
 * Downloads the entries matching `filter`: the filters are checked when the link is issued, so a
 * refusal comes back here as an Error with a readable message; a refused token signs the user out,
 * as for GraphQL.
 */
export async function downloadLogs(format: LogFormat, filter: LogFilter): Promise<void> {
  const ticketUrl = logExportUrl(format, filter).replace('/export/logs?', '/export/logs/ticket?');
  const res = await fetch(ticketUrl, { method: 'POST', credentials: 'same-origin', headers: CSRF_HEADERS });
  if (res.status === 401) sessionEnded();
  if (!res.ok) throw await failure(res);
  const { url } = (await res.json()) as { url: string };
  // The server names the file (Content-Disposition); `download` keeps the page where it is.
  const a = document.createElement('a');
  a.href = url;
  a.download = '';
  a.style.display = 'none';
  document.body.append(a);
  a.click();
  a.remove();
}
