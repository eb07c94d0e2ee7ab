/**
 * What the chaos tests (tests/chaos.test.ts) share: a FerretDB of their own on a free port, stopped
 * and started again on the same data through .ci/ferretdb.sh; steady client load in which every
 * request carries a unique marker (its user-agent, a log summary field, and its message); reading
 * the stored entries straight from the database; and the sums that compare what was answered with
 * what was stored.
 */
import { Database } from 'bun:sqlite';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './server-process.ts';

const FERRETDB_SCRIPT = join(REPO_ROOT, '.ci/ferretdb.sh');

/** Monotonic milliseconds: request finish times and the moment of a kill are compared on this clock. */
export const now = () => performance.now();

/** Whether .ci/ferretdb.sh can start FerretDB here: a working binary, or Go to build one. */
export function ferretdbAvailable(): boolean {
  if (!existsSync(FERRETDB_SCRIPT)) return false;
  if (Bun.which('ferretdb') || Bun.which('go')) return true;
  return existsSync(join(process.env.HOME ?? '/root', 'go/bin/ferretdb'));
}

/** Whether something accepts TCP connections on 127.0.0.1:port. */
export async function portOpen(port: number): Promise<boolean> {
  try {
    const socket = await Bun.connect({ hostname: '127.0.0.1', port, socket: { data() {} } });
    socket.end();
    return true;
  } catch {
    return false;
  }
}

/** Gone, or a zombie nobody reaps yet (ferretdb.sh's child is reparented once the script exits). */
function processGone(pid: number): boolean {
  try {
    return /^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true;
  }
}

/** FerretDB on `port` with its data in `dataDir`, which outlives a stop so that a start goes on with it. */
export class Ferret {
  private pid: number | null = null;
  readonly uri: string;

  constructor(readonly port: number, readonly dataDir: string) {
    this.uri = `mongodb://127.0.0.1:${port}`;
  }

  async start(): Promise<void> {
    const pidFile = join(this.dataDir, 'ferretdb.pid');
    const proc = Bun.spawn(['bash', FERRETDB_SCRIPT, pidFile], {
      env: { ...process.env, FERRETDB_PORT: String(this.port), FERRETDB_DATA_DIR: this.dataDir },
      stdout: 'pipe', stderr: 'pipe',
    });
    const [code, err] = await Promise.all([proc.exited, new Response(proc.stderr).text()]);
    if (code !== 0) throw new Error(`.ci/ferretdb.sh exited ${code}: ${err}`);
    this.pid = Number(readFileSync(pidFile, 'utf8').trim());
  }

  /** Kills it and waits until the port is closed. */
  async stop(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const pid = this.pid;
    if (pid === null) return;
    this.pid = null;
    try {
      process.kill(pid, signal);
    } catch {
      return;
    }
    const deadline = Date.now() + 15_000;
    while (!processGone(pid) || (await portOpen(this.port))) {
      if (Date.now() > deadline) {
        process.kill(pid, 'SIGKILL');
        throw new Error(`FerretDB (pid ${pid}) did not stop on ${signal}`);
      }
      await Bun.sleep(50);
    }
  }

  /** For cleanup: stops it if running and removes its data. */
  async destroy(): Promise<void> {
    await this.stop('SIGKILL').catch(() => {});
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}

export async function createConfig(url: string, token: string, input: Record<string, unknown>): Promise<void> {
  const res = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query: 'mutation($i: CreateConfigInput!) { createConfig(input: $i) { id } }', variables: { i: input } }),
  });
  const body = (await res.json()) as { errors?: unknown[] };
  if (res.status !== 200 || body.errors) throw new Error(`createConfig failed (${res.status}): ${JSON.stringify(body)}`);
}

export interface Health {
  status: string;
  store: { ok: boolean };
  logQueue: { depth: number; written: number; dropped: number; writeFailures: number; spooled: number; spoolBytes: number; spoolDropped: number; spoolFailing: string | null };
}

export async function health(url: string): Promise<Health> {
  return (await (await fetch(`${url}/health`)).json()) as Health;
}

/**
 * Until the store takes writes again and nothing waits in the queue or the spool. A batch being
 * written is not in `depth`: stop the server (its shutdown drains) before counting what is stored.
 */
export async function waitForDrain(url: string, timeoutMs: number): Promise<Health> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const h = await health(url);
    if (h.store.ok && h.logQueue.depth === 0 && h.logQueue.spooled === 0) return h;
    if (Date.now() > deadline) throw new Error(`the log pipeline did not drain within ${timeoutMs} ms: ${JSON.stringify(h)}`);
    await Bun.sleep(200);
  }
}

export interface Sent {
  marker: string;
  stream: boolean;
  startedAt: number;
  headersAt: number | null;
  /** When the whole answer had been read. */
  finishedAt: number | null;
  status: number | null;
  /** A 2xx whose answer is whole: JSON naming the marker, or a stream ending in [DONE] with no error event. */
  complete: boolean;
  error: string | null;
}

/**
 * `clients` loops, each sending one chat completion after the other (streamed and not, in turn),
 * `pauseMs` apart, to `target.url` (a test may point it at a restarted server). The backend model
 * is the mock's `repeat`: a stream answers the message word by word, 20 ms apart.
 */
export class Load {
  readonly sent: Sent[] = [];
  private running = true;
  private paused = false;
  private loops: Promise<void>[] = [];
  private readonly inFlight = new Set<Sent>();

  constructor(private readonly opts: { target: { url: string }; clients: number; model: string; tag: string; pauseMs: number }) {}

  start(): void {
    this.loops = Array.from({ length: this.opts.clients }, (_, c) => this.client(c));
  }

  /** No new requests until resume(); those in flight go on. */
  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
  }

  /** Until every request in flight has its answer's head (so the server is surely handling it). */
  async headsIn(timeoutMs = 10_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    while ([...this.inFlight].some((s) => s.headersAt === null && s.error === null) && Date.now() < deadline) await Bun.sleep(2);
    return this.inFlight.size;
  }

  /** Until nothing is in flight. */
  async idle(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.inFlight.size > 0 && Date.now() < deadline) await Bun.sleep(5);
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
  }

  private async client(c: number): Promise<void> {
    for (let n = 0; this.running; n++) {
      if (this.paused) {
        await Bun.sleep(5);
        n--;
        continue;
      }
      await this.one(`chaos-${this.opts.tag}-c${c}-n${n}`, n % 2 === 1);
      if (this.opts.pauseMs > 0) await Bun.sleep(this.opts.pauseMs);
    }
  }

  private async one(marker: string, stream: boolean): Promise<void> {
    const s: Sent = { marker, stream, startedAt: now(), headersAt: null, finishedAt: null, status: null, complete: false, error: null };
    this.sent.push(s);
    this.inFlight.add(s);
    try {
      const res = await fetch(`${this.opts.target.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': marker },
        body: JSON.stringify({ model: this.opts.model, stream, messages: [{ role: 'user', content: `${marker} one two three` }] }),
      });
      s.headersAt = now();
      s.status = res.status;
      const text = await res.text();
      s.finishedAt = now();
      s.complete = res.ok && (stream
        ? text.trimEnd().endsWith('data: [DONE]') && !text.includes('"error"') && text.includes('three')
        : ((JSON.parse(text) as { choices?: { message?: { content?: string } }[] }).choices?.[0]?.message?.content ?? '').includes(marker));
    } catch (err) {
      s.error = String(err);
    } finally {
      this.inFlight.delete(s);
    }
  }
}

export interface StoredEntry {
  id: string;
  marker: string | null;
}

/** Every log entry in a MongoDB database (the `logs` collection, mongo.ts). */
export async function storedInMongo(uri: string, database: string): Promise<StoredEntry[]> {
  const { MongoClient } = await import('mongodb');
  const client = new MongoClient(uri, { serverSelectionTimeoutMS: 10_000 });
  try {
    const docs = await client.db(database).collection<{ _id: string; userAgent: string | null }>('logs')
      .find({}, { projection: { _id: 1, userAgent: 1 } }).toArray();
    return docs.map((d) => ({ id: d._id, marker: d.userAgent ?? null }));
  } finally {
    await client.close();
  }
}

/** Every log entry in DATA_DIR's SQLite log file (lite-proxy-logs.sqlite, sqlite-logs.ts), opened read-only. */
export function storedInSqlite(dataDir: string): StoredEntry[] {
  const db = new Database(join(dataDir, 'lite-proxy-logs.sqlite'), { readonly: true });
  try {
    return db.query('SELECT id, user_agent AS marker FROM logs').all() as StoredEntry[];
  } finally {
    db.close();
  }
}

export interface Tally {
  sent: number;
  answered: number;
  stored: number;
  /** Stored entries sharing an id, and markers stored more than once. */
  duplicateIds: number;
  duplicateMarkers: string[];
  /** Answered (2xx, whole) but not stored. */
  lost: Sent[];
  /** Stored entries whose marker no request of this run carried (or that have none). */
  unknown: string[];
  /** Answered with something other than a whole 2xx (or not at all). */
  failed: Sent[];
}

export function tally(sent: readonly Sent[], stored: readonly StoredEntry[]): Tally {
  const ids = new Set(stored.map((e) => e.id));
  const seen = new Map<string, number>();
  for (const e of stored) if (e.marker) seen.set(e.marker, (seen.get(e.marker) ?? 0) + 1);
  const markers = new Set(sent.map((s) => s.marker));
  const answered = sent.filter((s) => s.complete);
  return {
    sent: sent.length,
    answered: answered.length,
    stored: stored.length,
    duplicateIds: stored.length - ids.size,
    duplicateMarkers: [...seen].filter(([, n]) => n > 1).map(([m]) => m),
    lost: answered.filter((s) => !seen.has(s.marker)),
    unknown: stored.filter((e) => e.marker === null || !markers.has(e.marker)).map((e) => `${e.id}: ${e.marker}`),
    failed: sent.filter((s) => !s.complete),
  };
}

/** The failures, briefly, for an assertion message. */
export function describeFailed(failed: readonly Sent[]): string {
  return failed.slice(0, 5).map((s) => `${s.marker}: ${s.status ?? '-'} ${s.error ?? ''}`).join('; ');
}

/**
 * The steps of a test, each with a deadline: a step that overruns fails the test naming the step
 * and showing what the servers said, rather than the whole test timing out with no clue where.
 */
export class Steps {
  readonly took: [string, number][] = [];

  constructor(private readonly context: () => string) {}

  async run<T>(name: string, timeoutMs: number, work: () => Promise<T>): Promise<T> {
    const from = now();
    let timer: Timer | undefined;
    const overrun = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`[chaos] step "${name}" took over ${timeoutMs} ms (steps so far: ${this.describe()})\n${this.context()}`)), timeoutMs);
    });
    try {
      return await Promise.race([work(), overrun]);
    } finally {
      clearTimeout(timer);
      this.took.push([name, now() - from]);
    }
  }

  describe(): string {
    return this.took.map(([n, ms]) => `${n} ${(ms / 1000).toFixed(1)} s`).join(', ');
  }
}

/** The last lines a server printed, for a failure message. */
export function tailOf(label: string, output: string, lines = 40): string {
  return `--- ${label} (last ${lines} lines)\n${output.split('\n').slice(-lines).join('\n')}`;
}
