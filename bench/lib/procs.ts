/** Processes of a benchmark run: the mock and the proxy, each pinned to a core when taskset exists. */
import type { Subprocess } from 'bun';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(import.meta.dir, '../..');
export const CORES = navigator.hardwareConcurrency;
const TASKSET = Bun.which('taskset');

/** Runs `cmd` pinned to `core` (when there are at least two cores and taskset is installed). */
export function pinned(cmd: string[], core: number | null): string[] {
  if (core === null || !TASKSET || CORES < 2) return cmd;
  return [TASKSET, '-c', String(core % CORES), ...cmd];
}

export function freePort(): number {
  const s = Bun.serve({ port: 0, hostname: '127.0.0.1', fetch: () => new Response() });
  const port = s.port!;
  s.stop(true);
  return port;
}

async function firstLine(proc: Subprocess<'ignore', 'pipe', 'pipe'>): Promise<string> {
  const reader = proc.stdout.getReader();
  let text = '';
  const decoder = new TextDecoder();
  while (!text.includes('\n')) {
    const { done, value } = await reader.read();
    if (done) throw new Error(`process exited before it printed anything: ${await new Response(proc.stderr).text()}`);
    text += decoder.decode(value);
  }
  reader.releaseLock();
  return text.split('\n')[0]!.trim();
}

export interface Mock {
  url: string;
  stop(): Promise<void>;
}

export async function startMock(core: number | null): Promise<Mock> {
  const proc = Bun.spawn(pinned(['bun', join(ROOT, 'bench/mock.ts')], core), { stdout: 'pipe', stderr: 'pipe', stdin: 'ignore' });
  const port = await firstLine(proc);
  return { url: `http://127.0.0.1:${port}/v1`, stop: () => stopProc(proc) };
}

export interface Proxy {
  url: string;
  pid: number;
  token: string;
  dataDir: string;
  gql<T = any>(query: string, variables?: Record<string, unknown>): Promise<T>;
  /** Resident set size of the proxy process, in MB. */
  rssMb(): number;
  stop(): Promise<void>;
}

export const ADMIN_TOKEN = 'bench-admin-token-0123456789';

/**
 * Starts the proxy as users run it (`bun run server`), on a fresh DATA_DIR unless one is given, and
 * resolves once /health answers 200 (within `startTimeoutMs`, 20 s by default). Its stdout is read
 * as it comes (a pipe nobody reads would block the server once full) and handed to `onOutput`.
 */
export async function startProxy(opts: {
  core: number | null;
  env?: Record<string, string>;
  dataDir?: string;
  startTimeoutMs?: number;
  onOutput?: (line: string) => void;
}): Promise<Proxy> {
  const port = freePort();
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'lite-proxy-bench-'));
  const proc = Bun.spawn(pinned(['bun', 'run', 'server'], opts.core), {
    cwd: ROOT,
    stdout: 'pipe',
    stderr: 'inherit',
    stdin: 'ignore',
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', HOST: '127.0.0.1', PORT: String(port), DATA_DIR: dataDir, ADMIN_TOKEN, ...opts.env },
  });
  void readLines(proc.stdout, opts.onOutput ?? (() => {}));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + (opts.startTimeoutMs ?? 20_000);
  for (;;) {
    try {
      if ((await fetch(`${url}/health`)).ok) break;
    } catch {
      // not listening yet
    }
    if (proc.exitCode !== null || Date.now() > deadline) {
      const why = proc.exitCode !== null ? `exit ${proc.exitCode}` : `no answer from /health within ${Math.round((opts.startTimeoutMs ?? 20_000) / 1000)} s`;
      await stopProc(proc);
      throw new Error(`the proxy did not start (${why})`);
    }
    await Bun.sleep(50);
  }
  // `bun run server` (behind taskset) starts the server as a child: measure that process.
  const serverPid = findDescendant(proc.pid, (cmdline) => cmdline.split('\0').includes('server/main.ts')) ?? proc.pid;
  return {
    url,
    pid: serverPid,
    token: ADMIN_TOKEN,
    dataDir,
    async gql(query, variables) {
      const res = await fetch(`${url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_TOKEN}` },
        body: JSON.stringify({ query, variables }),
      });
      const out = (await res.json()) as { data?: any; errors?: unknown };
      if (out.errors) throw new Error(`GraphQL error: ${JSON.stringify(out.errors)}`);
      return out.data;
    },
    rssMb: () => rssMb(serverPid),
    stop: () => stopProc(proc),
  };
}

async function readLines(stream: ReadableStream<Uint8Array>, onLine: (line: string) => void): Promise<void> {
  const decoder = new TextDecoder();
  let text = '';
  for await (const chunk of stream) {
    text += decoder.decode(chunk, { stream: true });
    const lines = text.split('\n');
    text = lines.pop()!;
    for (const line of lines) onLine(line);
  }
  if (text) onLine(text);
}

/** The first process below `pid` (depth first) whose command line matches. */
function findDescendant(pid: number, match: (cmdline: string) => boolean): number | null {
  const children = (p: number): number[] => {
    try {
      return readdirSync(`/proc/${p}/task`).flatMap((t) =>
        readFileSync(`/proc/${p}/task/${t}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number));
    } catch {
      return [];
    }
  };
  const stack = [pid];
  while (stack.length > 0) {
    const p = stack.pop()!;
    try {
      if (p !== pid && match(readFileSync(`/proc/${p}/cmdline`, 'utf8'))) return p;
    } catch {
      continue;
    }
    stack.push(...children(p));
  }
  return null;
}

export function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN);
  return kb / 1024;
}

async function stopProc(proc: Subprocess): Promise<void> {
  if (proc.exitCode !== null) return;
  proc.kill('SIGTERM');
  const exited = await Promise.race([proc.exited.then(() => true), Bun.sleep(15_000).then(() => false)]);
  if (!exited) proc.kill('SIGKILL');
}

/** Adds one proxy model per backend behaviour; returns nothing, the names are the behaviours. */
export async function addModels(proxy: Proxy, mockUrl: string, names: string[]): Promise<void> {
  for (const name of names) {
    await proxy.gql('mutation($i: CreateConfigInput!) { createConfig(input: $i) { id } }', {
      i: { proxyModelName: name, baseUrl: mockUrl, backendModelName: name },
    });
  }
}

/** The FerretDB helper CI uses, when no MONGODB_URI is given. */
export const FERRETDB_SCRIPT = join(ROOT, '.ci/ferretdb.sh');
export const hasFerretScript = () => existsSync(FERRETDB_SCRIPT);
