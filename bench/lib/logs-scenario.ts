/**
 * The logs scenario (bench/README.md, item 9): a store of N entries written by 0.1.0, upgraded by
 * today's server while a probe sends a proxied request every 10 ms; then the Logs page's filters,
 * log(id), a download, a delete of 1 % and a retention sweep, each timed with the probe's latencies
 * meanwhile against idle. Black-box: only /health, /graphql, /export/logs and the data dir's files.
 */
import { rmSync } from 'node:fs';
import { type DirSize, dirSize, download, type Download, logDetail, type LogFilter, logsPage, type Page, readSchema, type Schema, storeHealth } from './logs-api.ts';
import { dataDirWith, ensureFill, entriesBetween, type FillMeta } from './logs-fill.ts';
import { FILTER_MODEL } from './log-rows.ts';
import { Probe, type ProbeStats } from './probe.ts';
import { type Mock, type Proxy, startProxy } from './procs.ts';
import { median } from './stats.ts';

export interface LogsOptions {
  entries: number;
  mock: Mock;
  core: number | null;
  env: Record<string, string>;
  /** The idle baselines' length, and how long to watch after the sweep (incremental vacuum). */
  idleMs: number;
  vacuumWaitMs: number;
  refill: boolean;
  maxFillAgeHours: number;
  keepDataDir: boolean;
}

export interface Timed { ms: number; probe: ProbeStats }

export interface FilterResult {
  name: string;
  filter: LogFilter;
  /** What the fill holds for this filter (null when the fill's meta cannot tell). */
  expected: number | null;
  totalCount: number;
  totalCountExact: boolean | null;
  firstRunMs: number;
  firstPageMs: number;
  olderMs: number[];
  newerMs: number | null;
  /** The probe over the filter's five queries. */
  probe: ProbeStats;
  idle: ProbeStats;
  error: string | null;
}

export interface LogsResult {
  entries: number;
  fill: { cached: boolean; seconds: number; fillSeconds: number; bytes: number; release: string; streams: number; spanHours: number };
  phasesSeconds: Record<string, number>;
  migration: { startupMs: number; backgroundMs: number; totalMs: number; pendingAtStart: number; reachedZero: boolean; probe: ProbeStats; idle: ProbeStats; upgradePendingRowsInSchema: boolean };
  filters: FilterResult[];
  logById: { kind: 'stream' | 'plain'; id: string; firstMs: number; medianMs: number; complete: boolean; probe: ProbeStats }[];
  download: Download & Timed & { expected: number; window: { from: string; to: string }; mbPerSecond: number; idle: ProbeStats };
  deleteLogs: Timed & { deleted: number; expected: number; idle: ProbeStats; before: DirSize; after: DirSize };
  retention: Timed & {
    startupMs: number;
    deleted: number;
    expectedAtLeast: number;
    logRowsAfter: number | null;
    idle: ProbeStats;
    before: DirSize;
    afterSweep: DirSize;
    afterWait: DirSize & { waitedMs: number; probe: ProbeStats };
    atRest: DirSize;
  };
  probeTotal: { sent: number; failed: number };
}

const PROBE_MODEL = 'bench-probe';
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const iso = (ms: number) => new Date(ms).toISOString();

/** What the phases share: the running server, its probe, and the fill's meta. */
class Run {
  proxy: Proxy | null = null;
  probe: Probe | null = null;
  schema: Schema = { totalCountExact: false, upgradePendingRows: false };
  readonly phases: Record<string, number> = {};
  probeTotal = { sent: 0, failed: 0 };

  constructor(readonly opts: LogsOptions, readonly meta: FillMeta, readonly dataDir: string) {}

  get server(): Proxy {
    if (!this.proxy) throw new Error('no server running');
    return this.proxy;
  }

  get prober(): Probe {
    if (!this.probe) throw new Error('no probe running');
    return this.probe;
  }

  /**
   * `bun run server` on `dataDir` (a fresh one when null) and the probe; on a restart the store
   * already holds the probe's config, so the probe starts as soon as /health answers.
   */
  async start(dataDir: string | null, env: Record<string, string>, restart = false): Promise<number> {
    const spawned = performance.now();
    this.proxy = await startProxy({
      core: this.opts.core, dataDir: dataDir ?? undefined, env: { ...this.opts.env, ...env },
      // Start-up may upgrade the file (and copy it first): allow for a large one.
      startTimeoutMs: 60_000 + this.opts.entries * 0.3,
      onOutput: (line) => {
        if (/upgrad|migrat|vacuum|error|fail|warn/i.test(line)) console.log(`    server: ${line}`);
      },
    });
    const startupMs = performance.now() - spawned;
    if (!restart) {
      await this.proxy.gql('mutation($i: CreateConfigInput!) { createConfig(input: $i) { id } }', { i: { proxyModelName: PROBE_MODEL, baseUrl: this.opts.mock.url, backendModelName: 'json' } });
    }
    this.probe = new Probe(this.proxy.url, PROBE_MODEL);
    this.schema = await readSchema(this.proxy);
    return startupMs;
  }

  async stop(): Promise<void> {
    if (this.probe) {
      const t = await this.probe.stop();
      this.probeTotal = { sent: this.probeTotal.sent + t.sent, failed: this.probeTotal.failed + t.failed };
      this.probe = null;
    }
    await this.proxy?.stop();
    this.proxy = null;
  }

  /** Runs fn and keeps how long it took, in seconds, under `name`. */
  async phase<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const t = performance.now();
    console.log(`  … ${name}`);
    try {
      return await fn();
    } finally {
      this.phases[name] = Math.round((performance.now() - t) / 100) / 10;
    }
  }
}

async function waitFor<T>(what: string, timeoutMs: number, read: () => Promise<T>, done: (v: T) => boolean): Promise<{ value: T; ok: boolean }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return { value, ok: true };
    if (Date.now() > deadline) {
      console.log(`  gave up waiting for ${what} after ${Math.round(timeoutMs / 1000)} s`);
      return { value, ok: false };
    }
    await Bun.sleep(250);
  }
}

/** The idle baseline for the upgrade: the same probe against a proxy on an empty store. */
async function idleOnEmptyStore(run: Run): Promise<ProbeStats> {
  await run.start(null, { LOG_RETENTION_DAYS: '0' });
  const dir = run.server.dataDir;
  try {
    await Bun.sleep(500);
    return await run.prober.idle(run.opts.idleMs);
  } finally {
    await run.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Start-up on the 0.1.0 file, then its background part, with the probe from the first /health. */
async function upgrade(run: Run, idle: ProbeStats): Promise<LogsResult['migration']> {
  const spawned = performance.now();
  const startupMs = await run.start(run.dataDir, { LOG_RETENTION_DAYS: '0' });
  const from = Date.now();
  const health = () => storeHealth(run.server, run.schema);
  const pendingAtStart = (await health()).upgradePendingRows;
  const zero = await waitFor('upgradePendingRows to reach 0', 60_000 + run.opts.entries, health, (h) => h.upgradePendingRows === 0);
  const totalMs = performance.now() - spawned;
  // At least as many probe requests as the baseline has, when the background part is short.
  const minEnd = from + run.opts.idleMs;
  if (Date.now() < minEnd) await Bun.sleep(minEnd - Date.now());
  const probe = await run.prober.take(from, Date.now());
  return { startupMs, backgroundMs: totalMs - startupMs, totalMs, pendingAtStart, reachedZero: zero.ok, probe, idle, upgradePendingRowsInSchema: run.schema.upgradePendingRows };
}

/** The middle hour of the two days, `to` inclusive as the API takes it. */
const middleHour = (meta: FillMeta) => ({ from: meta.from + DAY, to: meta.from + DAY + HOUR - 1 });

function filtersOf(meta: FillMeta): { name: string; filter: LogFilter; expected: number | null }[] {
  const hour = middleHour(meta);
  return [
    { name: 'none', filter: {}, expected: null },
    { name: 'path: "embeddings"', filter: { path: 'embeddings' }, expected: meta.mix.byPath['POST /v1/embeddings'] ?? 0 },
    { name: 'stream: true', filter: { stream: true }, expected: meta.mix.streams },
    { name: `model: "${FILTER_MODEL}"`, filter: { model: FILTER_MODEL }, expected: meta.mix.byModel[FILTER_MODEL] ?? 0 },
    { name: `model: "${FILTER_MODEL}", statusClass: 5`, filter: { model: FILTER_MODEL, statusClass: 5 }, expected: null },
    { name: 'statusClass: 4', filter: { statusClass: 4 }, expected: meta.mix.byStatusClass['4xx'] ?? 0 },
    { name: 'method: "GET"', filter: { method: 'GET' }, expected: meta.mix.byPath['GET /v1/models'] ?? 0 },
    { name: 'from/to: one hour', filter: { from: iso(hour.from), to: iso(hour.to) }, expected: entriesBetween(meta, hour.from, hour.to + 1) },
  ];
}

/** One filter as the Logs page runs it: the first page twice (the first run, then warm), Older twice, Newer once. */
async function logsPageFilter(run: Run, f: { name: string; filter: LogFilter; expected: number | null }): Promise<FilterResult> {
  const idle = await run.prober.idle(run.opts.idleMs / 2);
  const from = Date.now();
  const timed = async (after: string | null): Promise<[Page, number]> => {
    const t = performance.now();
    const page = await logsPage(run.server, run.schema, f.filter, after);
    return [page, performance.now() - t];
  };
  const r: FilterResult = { ...f, totalCount: 0, totalCountExact: null, firstRunMs: NaN, firstPageMs: NaN, olderMs: [], newerMs: null, probe: idle, idle, error: null };
  try {
    [, r.firstRunMs] = await timed(null);
    let [page, firstMs] = await timed(null);
    r.firstPageMs = firstMs;
    r.totalCount = page.totalCount;
    r.totalCountExact = page.totalCountExact;
    const cursors: string[] = [];
    for (let i = 0; i < 2 && page.hasNextPage && page.endCursor; i++) {
      cursors.push(page.endCursor);
      let ms: number;
      [page, ms] = await timed(page.endCursor);
      r.olderMs.push(ms);
    }
    // Newer from the third page: the second again, from the cursor the page kept (client/src/pages/Logs.tsx).
    if (cursors.length === 2) [, r.newerMs] = await timed(cursors[0]!);
  } catch (err) {
    r.error = String(err);
  }
  r.probe = await run.prober.take(from, Date.now());
  const older = r.olderMs.map((ms) => ms.toFixed(1)).join(', ');
  console.log(`    ${f.name}: first run ${r.firstRunMs.toFixed(1)} ms, warm ${r.firstPageMs.toFixed(1)} ms, Older ${older || '-'} ms, Newer ${r.newerMs?.toFixed(1) ?? '-'} ms; `
    + `${r.totalCount}${r.totalCountExact === false ? '+' : ''} matched (fill: ${f.expected ?? '?'})${r.error ? `; ERROR ${r.error}` : ''}`);
  return r;
}

/** log(id) of a streamed entry with its chunks and of a plain one, five times each. */
async function logById(run: Run): Promise<LogsResult['logById']> {
  const out: LogsResult['logById'] = [];
  for (const kind of ['stream', 'plain'] as const) {
    const id = run.meta.sampleIds[kind];
    if (!id) continue;
    const from = Date.now();
    const times: number[] = [];
    let complete = true;
    for (let i = 0; i < 5; i++) {
      const t = performance.now();
      const log = await logDetail(run.server, id);
      times.push(performance.now() - t);
      complete &&= log !== null && log.id === id && log.requestBody !== null && log.responseBody !== null
        && (kind === 'plain' || (Array.isArray(log.chunks) && log.chunks.length >= 10 && typeof log.streamContent === 'string'));
    }
    out.push({ kind, id, firstMs: times[0]!, medianMs: median(times.slice(1)), complete, probe: await run.prober.take(from, Date.now()) });
  }
  return out;
}

/** A JSONL download of the middle hour, read to the end. */
async function downloadHour(run: Run): Promise<LogsResult['download']> {
  const idle = await run.prober.idle(run.opts.idleMs);
  const hour = middleHour(run.meta);
  const window = { from: iso(hour.from), to: iso(hour.to) };
  const r = await run.prober.during(() => download(run.server, { format: 'jsonl', ...window }));
  return { ...r.result, ms: r.ms, probe: r.probe, idle, window, expected: entriesBetween(run.meta, hour.from, hour.to + 1), mbPerSecond: r.result.bytes / 1e6 / (r.ms / 1000) };
}

/** deleteLogs of the oldest 29 minutes: about 1 % of two days. */
async function deleteOldest(run: Run): Promise<LogsResult['deleteLogs']> {
  const idle = await run.prober.idle(run.opts.idleMs);
  const before = dirSize(run.dataDir);
  const to = run.meta.from + 29 * 60_000;
  const r = await run.prober.during(() => run.server.gql<{ deleteLogs: number }>('mutation($f: LogFilter!) { deleteLogs(filter: $f) }', { f: { from: iso(run.meta.from), to: iso(to - 1) } }));
  return { ms: r.ms, probe: r.probe, idle, deleted: r.result.deleteLogs, expected: entriesBetween(run.meta, run.meta.from, to), before, after: dirSize(run.dataDir) };
}

/** The same DATA_DIR restarted with LOG_RETENTION_DAYS=1, which deletes what is older than a day. */
async function retentionSweep(run: Run, alreadyDeleted: number): Promise<LogsResult['retention']> {
  const idle = await run.prober.idle(run.opts.idleMs);
  await run.stop();
  const before = dirSize(run.dataDir);
  // The server's cutoff is at least this late, so at least these entries (whole minutes before it) go.
  const spawnedAt = Date.now();
  const cutoff = Math.floor((spawnedAt - DAY) / 60_000) * 60_000;
  const expectedAtLeast = entriesBetween(run.meta, run.meta.from, cutoff) - alreadyDeleted;
  const startupMs = await run.start(run.dataDir, { LOG_RETENTION_DAYS: '1' }, true);
  const from = Date.now();
  const t = performance.now();
  const health = () => storeHealth(run.server, run.schema);
  const swept = await waitFor('the retention sweep', 120_000 + run.opts.entries * 0.5, health, (h) => h.retentionDeleted >= expectedAtLeast);
  const ms = performance.now() - t;
  const probe = await run.prober.take(from, Date.now());
  const afterSweep = dirSize(run.dataDir);
  // logRows is taken when a sweep ends: wait for the count after this one.
  const sized = await waitFor('the store size after the sweep', 90_000, health,
    (h) => h.sizeCheckedAt !== null && Date.parse(h.sizeCheckedAt) >= spawnedAt && h.logRows !== null && h.retentionDeleted === swept.value.retentionDeleted);
  const waited = await run.prober.during(() => Bun.sleep(run.opts.vacuumWaitMs));
  const afterWait = { ...dirSize(run.dataDir), waitedMs: waited.ms, probe: waited.probe };
  const deleted = (await health()).retentionDeleted;
  await run.stop();
  return { ms, probe, startupMs, deleted, expectedAtLeast, logRowsAfter: sized.value.logRows, idle, before, afterSweep, afterWait, atRest: dirSize(run.dataDir) };
}

export async function logsScenario(opts: LogsOptions): Promise<LogsResult> {
  const t0 = performance.now();
  const fill = ensureFill({ entries: opts.entries, maxAgeHours: opts.maxFillAgeHours, refill: opts.refill });
  const fillPhase = Math.round((performance.now() - t0) / 100) / 10;
  const { meta } = fill;
  console.log(`  fill: ${meta.entries} entries by ${meta.release}, ${(fill.bytes / 1e6).toFixed(1)} MB; `
    + (fill.cached ? `cached (made in ${meta.fillSeconds.toFixed(1)} s)` : `made in ${fill.seconds.toFixed(1)} s (${meta.fillSeconds.toFixed(1)} s writing)`));
  const scratch = new Run(opts, meta, '');
  const idle = await scratch.phase('idle baseline on an empty store', () => idleOnEmptyStore(scratch));
  const dataDir = await scratch.phase('copy the fill to a fresh DATA_DIR', async () => dataDirWith(fill));
  const run = new Run(opts, meta, dataDir);
  Object.assign(run.phases, { fill: fillPhase }, scratch.phases);
  run.probeTotal = scratch.probeTotal;
  try {
    const migration = await run.phase('migration', () => upgrade(run, idle));
    const filters = await run.phase('Logs page filters', async () => {
      const out: FilterResult[] = [];
      for (const f of filtersOf(meta)) out.push(await logsPageFilter(run, f));
      return out;
    });
    const byId = await run.phase('log(id)', () => logById(run));
    const dl = await run.phase('download', () => downloadHour(run));
    const del = await run.phase('deleteLogs', () => deleteOldest(run));
    const retention = await run.phase('retention sweep', () => retentionSweep(run, del.deleted));
    return {
      entries: opts.entries,
      fill: { cached: fill.cached, seconds: fill.seconds, fillSeconds: meta.fillSeconds, bytes: fill.bytes, release: meta.release, streams: meta.mix.streams, spanHours: (meta.to - meta.from) / HOUR },
      phasesSeconds: run.phases,
      migration,
      filters,
      logById: byId,
      download: dl,
      deleteLogs: del,
      retention,
      probeTotal: run.probeTotal,
    };
  } finally {
    // After a failure too: nothing left running.
    await run.stop();
    if (opts.keepDataDir) console.log(`  DATA_DIR kept: ${dataDir}`);
    else rmSync(dataDir, { recursive: true, force: true });
  }
}
