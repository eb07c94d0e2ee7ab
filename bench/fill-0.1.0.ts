// @ts-nocheck: this file runs inside a checkout of 0.1.0 (bench/lib/logs-fill.ts copies it to the same path
// there, without these lines, and type-checks it with 0.1.0's tsc); its imports are 0.1.0's code, not today's.
/**
 * Fills a SQLite file with N log entries through 0.1.0's own write path: its SqliteStore, its
 * configs, and its LogRecorder (which writes the entries in batches and adds their rollups), so the
 * file is what a 0.1.0 server leaves after N requests. The entries come from bench/lib/log-rows.ts,
 * spread evenly (with jitter) over `--span-hours` ending at `--end`, oldest first.
 *
 *   bun bench/fill-0.1.0.ts --out <file> --meta <file.json> --entries N --end <ms> --span-hours 48
 *
 * The meta file says what the scenario needs to know without reading the database: the span, the
 * entries per minute (for exact counts of minute-aligned windows), two ids for log(id), the mix.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { Database } from 'bun:sqlite';
import { LogRecorder } from '../server/logs/recorder.ts';
import { SqliteStore } from '../server/store/sqlite.ts';
import { JsonText, type LogRow } from '../server/store/types.ts';
import { type FillRow, LOG_ROWS_VERSION, LogRowGenerator } from './lib/log-rows.ts';

const { values } = parseArgs({
  options: { out: { type: 'string' }, meta: { type: 'string' }, entries: { type: 'string' }, end: { type: 'string' }, 'span-hours': { type: 'string' } },
});
if (!values.out || !values.meta || !values.entries || !values.end) throw new Error('--out, --meta, --entries and --end are required');
const out = values.out;
const entries = Number(values.entries);
const end = Number(values.end);
const spanMs = Number(values['span-hours'] ?? 48) * 3_600_000;
const start = end - spanMs;
if (existsSync(out)) throw new Error(`${out} exists`);

/** Rows handed to the recorder at a time; it writes them in batches of BATCH. */
const CHUNK = 10_000;
const BATCH = 1_000;

const store = new SqliteStore(out);
await store.init();
const gen = new LogRowGenerator({ seed: entries, uuid: (ms) => Bun.randomUUIDv7('hex', ms), configsCreatedAt: start - 86_400_000 });
for (const c of gen.configs) {
  const at = new Date(start - 86_400_000);
  await store.insertConfig({ ...c, apiKey: `sk-bench-${c.proxyModelName}-0123456789`, ignoreSslVerify: false, enabled: true, timeoutMs: null, createdAt: at, updatedAt: at });
}

const failures: string[] = [];
const recorder = new LogRecorder({ store, maxQueue: CHUNK * 2, batchSize: BATCH, report: (m) => failures.push(m) });
const toLogRow = (r: FillRow): LogRow => ({
  ...r,
  requestBody: r.requestBody === null ? null : new JsonText(r.requestBody),
  responseBody: r.responseBody === null ? null : new JsonText(r.responseBody),
});

const perMinute = new Array<number>(Math.ceil(spanMs / 60_000)).fill(0);
const mix = { streams: 0, withChunks: 0, byPath: {} as Record<string, number>, byStatusClass: {} as Record<string, number>, byModel: {} as Record<string, number> };
const count = (m: Record<string, number>, k: string) => (m[k] = (m[k] ?? 0) + 1);
const mid = start + spanMs / 2;
let sampleStream: string | null = null;
let samplePlain: string | null = null;
const t0 = performance.now();
let nextReport = 0.1;
for (let i = 0; i < entries; i += CHUNK) {
  const n = Math.min(CHUNK, entries - i);
  for (let k = 0; k < n; k++) {
    const ts = start + Math.floor(((i + k + Math.random()) * spanMs) / entries);
    const row = gen.next(ts);
    perMinute[Math.floor((ts - start) / 60_000)]!++;
    if (row.stream) mix.streams++;
    if (row.chunks) mix.withChunks++;
    count(mix.byPath, `${row.method} ${row.path}`);
    count(mix.byStatusClass, `${Math.floor(row.statusCode / 100)}xx`);
    count(mix.byModel, row.model ?? '(none)');
    if (ts >= mid && row.path === '/v1/chat/completions' && row.statusCode === 200) {
      if (row.chunks && !sampleStream) sampleStream = row.id;
      if (!row.stream && !samplePlain) samplePlain = row.id;
    }
    recorder.record(toLogRow(row));
  }
  await recorder.drain(600_000);
  const done = (i + n) / entries;
  if (done >= nextReport || done === 1) {
    const s = (performance.now() - t0) / 1000;
    console.log(`  filled ${i + n} of ${entries} (${Math.round((i + n) / s)} entries/s)`);
    nextReport = Math.floor(done * 10 + 1) / 10;
  }
}
const status = recorder.status();
if (status.written !== entries || status.dropped > 0 || failures.length > 0) {
  throw new Error(`the recorder wrote ${status.written} of ${entries} (dropped ${status.dropped}): ${failures.join('; ')}`);
}
const size = await store.size();
await store.close();
// The file as 0.1.0 leaves it at rest: its WAL checkpointed into it.
const db = new Database(out);
db.exec('PRAGMA wal_checkpoint(TRUNCATE)');
db.close();
if (existsSync(`${out}-wal`)) throw new Error('the WAL was not checkpointed');

writeFileSync(values.meta, `${JSON.stringify({
  version: LOG_ROWS_VERSION,
  release: '0.1.0 (bd7bd09)',
  entries,
  storedRows: size.logRows,
  from: start,
  to: end,
  filledAt: Date.now(),
  fillSeconds: (performance.now() - t0) / 1000,
  perMinute,
  sampleIds: { stream: sampleStream, plain: samplePlain },
  mix,
}, null, 1)}\n`);
