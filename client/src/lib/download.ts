/**
 * Files the admin saves: a Blob handed to the browser through an object URL and a temporary
 * <a download>, and the log download, the one data path that is not GraphQL (GET /export/logs,
 * which answers a file, with the same bearer token).
 */
import type { LogFilter } from '../graphql/operations.ts';
import { logout, token } from './auth.ts';

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

/** The name the server gave the file (Content-Disposition), or a fallback. */
function fileNameOf(res: Response, fallback: string): string {
  const match = /filename="?([^";]+)"?/i.exec(res.headers.get('content-disposition') ?? '');
  return match?.[1] ?? fallback;
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
 * Downloads the entries matching `filter` and saves them as a file. The whole file is read before
 * it is saved (a fetch with a header cannot hand its stream to the browser's download manager).
 * Throws an Error with a readable message; a refused token signs the user out, as for GraphQL.
 */
export async function downloadLogs(format: LogFormat, filter: LogFilter): Promise<void> {
  const res = await fetch(logExportUrl(format, filter), { headers: { authorization: `Bearer ${token() ?? ''}` } });
  if (res.status === 401) logout();
  if (!res.ok) throw await failure(res);
  const blob = await res.blob();
  saveBlob(blob, fileNameOf(res, `lite-proxy-logs-${fileDate()}.${format}`));
}
