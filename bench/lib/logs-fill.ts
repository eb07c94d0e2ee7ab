/**
 * The logs scenario's store: N entries in the 0.1.0 layout, written by 0.1.0's own code (as
 * tests/fixtures/upgrade-0.1.0/make.ts writes the upgrade fixture). Commit bd7bd09 is extracted to a
 * temporary directory, its dependencies installed from its own lockfile, bench/fill-0.1.0.ts and
 * bench/lib/log-rows.ts copied there (to the same paths, so that their imports are 0.1.0's modules),
 * type-checked with 0.1.0's tsc and run. The file is cached in bench/.cache/ by N, with its meta.
 */
import { closeSync, copyFileSync, existsSync, fsyncSync, mkdirSync, mkdtempSync, openSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { LOG_ROWS_VERSION } from './log-rows.ts';

const ROOT = join(import.meta.dir, '../..');
const RELEASE_COMMIT = 'bd7bd09';
const FILLER = 'bench/fill-0.1.0.ts';
const ROWS = 'bench/lib/log-rows.ts';
export const CACHE_DIR = join(ROOT, 'bench/.cache');
/** The fill spans two days ending when it was made: LOG_RETENTION_DAYS=1 then deletes about half. */
export const SPAN_HOURS = 48;

export interface FillMeta {
  version: number;
  release: string;
  entries: number;
  storedRows: number;
  /** The span of the timestamps, ms since the epoch; `to` is minute-aligned. */
  from: number;
  to: number;
  filledAt: number;
  fillSeconds: number;
  /** Entries in each minute from `from`. */
  perMinute: number[];
  sampleIds: { stream: string | null; plain: string | null };
  mix: { streams: number; withChunks: number; byPath: Record<string, number>; byStatusClass: Record<string, number>; byModel: Record<string, number> };
}

export interface Fill {
  file: string;
  meta: FillMeta;
  bytes: number;
  /** False when this run made it. */
  cached: boolean;
  /** Seconds this run spent making it (checkout, install, type check, fill), 0 when cached. */
  seconds: number;
}

/** Entries with a timestamp in [from, to], both minute-aligned. */
export function entriesBetween(meta: FillMeta, from: number, to: number): number {
  let n = 0;
  for (let m = Math.max(0, Math.floor((from - meta.from) / 60_000)); m < meta.perMinute.length && meta.from + m * 60_000 < to; m++) n += meta.perMinute[m]!;
  return n;
}

function run(cmd: string[], cwd: string, quiet = false): void {
  const r = Bun.spawnSync(cmd, { cwd, stdout: quiet ? 'pipe' : 'inherit', stderr: quiet ? 'pipe' : 'inherit', env: { ...process.env, NO_COLOR: '1' } });
  if (r.exitCode !== 0) throw new Error(`${cmd.join(' ')} failed (exit code ${r.exitCode})${quiet ? `:\n${r.stdout}\n${r.stderr}` : ''}`);
}

/**
 * The cached fill of `entries` when there is one younger than `maxAgeHours` (the retention sweep
 * deletes what is older than a day, so an older fill would lose more than half), else a new one.
 */
export function ensureFill(opts: { entries: number; maxAgeHours: number; refill: boolean }): Fill {
  const file = join(CACHE_DIR, `logs-0.1.0-v${LOG_ROWS_VERSION}-${opts.entries}.sqlite`);
  const metaFile = `${file}.json`;
  if (!opts.refill && existsSync(file) && existsSync(metaFile)) {
    const meta = JSON.parse(readFileSync(metaFile, 'utf8')) as FillMeta;
    const ageHours = (Date.now() - meta.to) / 3_600_000;
    if (meta.version === LOG_ROWS_VERSION && meta.entries === opts.entries && ageHours < opts.maxAgeHours) {
      return { file, meta, bytes: statSync(file).size, cached: true, seconds: 0 };
    }
    console.log(`  the cached fill is ${ageHours.toFixed(1)} h old (at most ${opts.maxAgeHours} h): filling again`);
  }
  mkdirSync(CACHE_DIR, { recursive: true });
  rmSync(file, { force: true });
  rmSync(metaFile, { force: true });
  const t0 = performance.now();
  const checkout = mkdtempSync(join(tmpdir(), 'lite-proxy-bench-0.1.0-'));
  const partial = `${file}.partial`;
  for (const f of [partial, `${partial}-wal`, `${partial}-shm`, `${partial}.json`]) rmSync(f, { force: true });
  try {
    run(['sh', '-c', `git -C "${ROOT}" archive ${RELEASE_COMMIT} | tar -x -C "${checkout}"`], ROOT);
    run([process.execPath, 'install', '--frozen-lockfile', '--silent'], checkout, true);
    for (const path of [FILLER, ROWS]) {
      // Without its first lines (the @ts-nocheck for today's tsc): 0.1.0's tsc checks it against 0.1.0's code.
      const source = readFileSync(join(ROOT, path), 'utf8').replace(/^\/\/ @ts-nocheck[^\n]*\n(\/\/[^\n]*\n)*/, '');
      mkdirSync(dirname(join(checkout, path)), { recursive: true });
      writeFileSync(join(checkout, path), source);
    }
    run([join(checkout, 'node_modules/.bin/tsc'), '--noEmit', '-p', '.'], checkout, true);
    const end = Math.floor(Date.now() / 60_000) * 60_000;
    run([process.execPath, FILLER, '--out', partial, '--meta', `${partial}.json`, '--entries', String(opts.entries), '--end', String(end), '--span-hours', String(SPAN_HOURS)], checkout);
    renameSync(partial, file);
    renameSync(`${partial}.json`, metaFile);
  } finally {
    rmSync(checkout, { recursive: true, force: true });
  }
  const meta = JSON.parse(readFileSync(metaFile, 'utf8')) as FillMeta;
  return { file, meta, bytes: statSync(file).size, cached: false, seconds: (performance.now() - t0) / 1000 };
}

/**
 * A fresh DATA_DIR holding a copy of the fill as `lite-proxy.sqlite`, on disk: otherwise the kernel
 * writes the copy back while the server runs, and the server's own writes wait behind it.
 */
export function dataDirWith(fill: Fill): string {
  const dir = mkdtempSync(join(tmpdir(), 'lite-proxy-bench-logs-'));
  const file = join(dir, 'lite-proxy.sqlite');
  copyFileSync(fill.file, file);
  const fd = openSync(file, 'r+');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  return dir;
}
