/**
 * Chaos: the real server (a child process) under steady load through real store outages, every
 * request marked (helpers/chaos.ts), and afterwards what was answered counted against what the
 * store holds, read straight from the database:
 *   - FerretDB killed for 30 s and started again on its data: every entry stored exactly once;
 *   - the same with the server restarted (SIGTERM) during the outage, the second one starting on
 *     the last known configs with the first one's spool: every entry of both stored exactly once;
 *   - SQLite on a tmpfs that fills (a filler file) and empties again: every entry stored exactly once;
 *   - kill -9 under load: what is lost was answered within the last write interval before the kill.
 * Each test prints one `[chaos] …` line with its figures. FerretDB runs on a free port of its own
 * (.ci/ferretdb.sh, FERRETDB_PORT and FERRETDB_DATA_DIR); the tmpfs test needs root.
 */
import { afterAll, expect, test } from 'bun:test';
import { closeSync, mkdirSync, openSync, rmSync, statfsSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from './helpers/app.ts';
import {
  createConfig, describeFailed, Ferret, ferretdbAvailable, health, type Health, Load, now, type Sent, Steps, storedInMongo, storedInSqlite, tailOf, tally, type Tally, waitForDrain,
} from './helpers/chaos.ts';
import { startMockUpstream } from './helpers/mock-upstream.ts';
import { freePort, killAll, spawnServer, startServer, type ServerProcess } from './helpers/server-process.ts';

const TOKEN = 'chaos-test-token-0123456789';
const MODEL = 'chaos';
const OUTAGE_MS = 30_000;

const mock = startMockUpstream();
/** Run in reverse order by afterAll, whatever happened in the tests. */
const cleanups: (() => unknown)[] = [];
afterAll(async () => {
  await killAll();
  for (const clean of cleanups.reverse()) {
    try {
      await clean();
    } catch (err) {
      console.warn(`[chaos] cleanup failed: ${String(err)}`);
    }
  }
  mock.stop();
});

function newDir(prefix: string): string {
  const dir = tempDir(prefix);
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A load whose loops stop at the end of the test even when it fails half-way. */
function startLoad(opts: { target: { url: string }; tag: string; clients?: number; pauseMs?: number }): Load {
  const load = new Load({ clients: 4, pauseMs: 20, model: MODEL, ...opts });
  cleanups.push(() => load.stop());
  load.start();
  return load;
}

const haveFerret = ferretdbAvailable();
if (!haveFerret) console.warn('[chaos] SKIPPED the FerretDB outage tests: no ferretdb binary and no Go to build one (.ci/ferretdb.sh)');

/** Whether a tmpfs can be mounted here (root on Linux, and a kernel or container that allows it). */
function tmpfsReason(): string | null {
  if (process.platform !== 'linux') return 'not Linux';
  if (process.getuid?.() !== 0) return 'not root';
  const probe = tempDir('lp-chaos-probe-');
  try {
    const mount = Bun.spawnSync(['mount', '-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', probe], { stderr: 'pipe' });
    if (mount.exitCode !== 0) return `mount failed: ${mount.stderr.toString().trim()}`;
    Bun.spawnSync(['umount', probe]);
    return null;
  } finally {
    rmSync(probe, { recursive: true, force: true });
  }
}
const noTmpfs = tmpfsReason();
if (noTmpfs) console.warn(`[chaos] SKIPPED the full-disk test: it mounts a tmpfs, and here it cannot (${noTmpfs})`);

function summary(name: string, t: Tally, extra: Record<string, string | number>): void {
  const more = Object.entries(extra).map(([k, v]) => `, ${k} ${v}`).join('');
  console.log(`[chaos] ${name}: sent ${t.sent}, answered ${t.answered}, failed ${t.failed.length}, stored ${t.stored}, duplicates ${t.duplicateIds + t.duplicateMarkers.length}, unknown ${t.unknown.length}, lost ${t.lost.length}${more}`);
}

/** Every request answered whole, every entry stored, none twice, none from elsewhere. */
function expectNoneLost(t: Tally, drained: Health): void {
  expect(describeFailed(t.failed)).toBe('');
  expect(t.duplicateIds).toBe(0);
  expect(t.duplicateMarkers).toEqual([]);
  expect(t.unknown).toEqual([]);
  // The count and the first few markers (not hundreds of lines when many are lost).
  expect({ lost: t.lost.length, first: t.lost.slice(0, 5).map((s) => s.marker) }).toEqual({ lost: 0, first: [] });
  expect(t.stored).toBe(t.answered);
  expect(drained.logQueue).toMatchObject({ depth: 0, dropped: 0, spooled: 0, spoolDropped: 0 });
}

const startedDuring = (sent: readonly Sent[], from: number, to: number) => sent.filter((s) => s.startedAt >= from && s.startedAt <= to).length;
const secs = (ms: number) => (ms / 1000).toFixed(1);

async function startFerret(): Promise<Ferret> {
  const ferret = new Ferret(freePort(), newDir('lp-chaos-ferretdb-'));
  cleanups.push(() => ferret.stop('SIGKILL'));
  await ferret.start();
  return ferret;
}

test.skipIf(!haveFerret)('FerretDB killed for 30 s under steady load and started again: every entry stored exactly once', async () => {
  const ferret = await startFerret();
  const database = 'chaos_outage';
  const server = await startServer({ env: { DATA_DIR: newDir('lp-chaos-outage-'), ADMIN_TOKEN: TOKEN, MONGODB_URI: ferret.uri, DATABASE_NAME: database } });
  await createConfig(server.url, TOKEN, { proxyModelName: MODEL, baseUrl: mock.baseUrl, backendModelName: 'repeat' });
  const load = startLoad({ target: server, tag: 'outage' });
  await Bun.sleep(3_000);

  const down = now();
  await ferret.stop('SIGKILL');
  await Bun.sleep(OUTAGE_MS / 2);
  const during = await health(server.url);
  await Bun.sleep(Math.max(0, down + OUTAGE_MS - now()));
  await ferret.start();
  const outageMs = now() - down;
  await Bun.sleep(5_000);
  await load.stop();
  const drainFrom = now();
  const drained = await waitForDrain(server.url, 60_000);
  const drainMs = now() - drainFrom;
  expect(await server.stop('SIGTERM')).toBe(0);

  const t = tally(load.sent, await storedInMongo(ferret.uri, database));
  const inOutage = startedDuring(load.sent, down, down + outageMs);
  summary('FerretDB killed under load', t, { 'sent during the outage': inOutage, 'spooled mid-outage': during.logQueue.spooled, 'outage s': secs(outageMs), 'drain s': secs(drainMs) });
  // Not vacuous: the outage reached the pipeline, with traffic all through it.
  expect(during.store.ok).toBe(false);
  expect(during.logQueue.spooled).toBeGreaterThan(0);
  expect(inOutage).toBeGreaterThan(200);
  expectNoneLost(t, drained);
}, 150_000);

test.skipIf(!haveFerret)('FerretDB out while the server restarts: both servers\' entries stored exactly once', async () => {
  const ferret = await startFerret();
  const database = 'chaos_restart';
  const env = { DATA_DIR: newDir('lp-chaos-restart-'), ADMIN_TOKEN: TOKEN, MONGODB_URI: ferret.uri, DATABASE_NAME: database };
  const first = await startServer({ env });
  let second: ServerProcess | null = null;
  const steps = new Steps(() => [tailOf('first server', first.stdout() + first.stderr()), second ? tailOf('second server', second.stdout() + second.stderr()) : '']
    .join('\n'));
  await createConfig(first.url, TOKEN, { proxyModelName: MODEL, baseUrl: mock.baseUrl, backendModelName: 'repeat' });
  const target = { url: first.url };
  const load = startLoad({ target, tag: 'restart' });
  await Bun.sleep(3_000);

  const down = now();
  await steps.run('stop FerretDB', 20_000, () => ferret.stop('SIGKILL'));
  await Bun.sleep(6_000);
  // SIGTERM with requests in flight (each has its answer's head: the server surely has them).
  load.pause();
  const inFlightAtStop = await load.headsIn();
  const beforeStop = await steps.run('health before SIGTERM', 10_000, () => health(first.url));
  expect(await steps.run('first server stops on SIGTERM', 30_000, () => first.stop('SIGTERM'))).toBe(0);
  await steps.run('requests in flight end', 35_000, () => load.idle());
  const firstSent = load.sent.length;

  // MongoDB unreachable at start: it waits for the driver's server selection (5 s), then serves the last known configs.
  const started = spawnServer({ env });
  second = started;
  await steps.run('second server starts', 35_000, () => started.waitForOutput(/Lite Proxy listening on [^]*admin token:[^\n]*\n/, 30_000));
  const startOutput = started.stdout() + started.stderr();
  expect(startOutput).toContain('Serving the 1 configs last seen');
  const spooledAtStart = Number(/log spool:\s+(\d+) entries from an earlier run/.exec(startOutput)?.[1] ?? 0);
  target.url = started.url;
  load.resume();
  await Bun.sleep(8_000);
  await steps.run('start FerretDB again', 40_000, () => ferret.start());
  const outageMs = now() - down;
  await Bun.sleep(5_000);
  await steps.run('load stops', 35_000, () => load.stop());
  const drainFrom = now();
  const drained = await steps.run('pipeline drains', 65_000, () => waitForDrain(started.url, 60_000));
  const drainMs = now() - drainFrom;
  expect(await steps.run('second server stops on SIGTERM', 30_000, () => started.stop('SIGTERM'))).toBe(0);

  const t = tally(load.sent, await steps.run('read the stored entries', 20_000, () => storedInMongo(ferret.uri, database)));
  const slowStops = (first.stdout() + started.stdout()).split('\n').filter((l) => l.includes('shutdown:')).map((l) => l.trim());
  if (slowStops.length > 0) console.log(`[chaos] slow shutdown steps: ${slowStops.join('; ')}`);
  summary('FerretDB out across a server restart', t, {
    'sent to the first': firstSent, 'sent to the second': load.sent.length - firstSent, 'in flight at SIGTERM': inFlightAtStop,
    'spooled by the first': spooledAtStart, 'outage s': secs(outageMs), 'drain s': secs(drainMs),
  });
  console.log(`[chaos] steps: ${steps.describe()}`);
  expect(beforeStop.store.ok).toBe(false);
  expect(spooledAtStart).toBeGreaterThan(100);
  expect(load.sent.length - firstSent).toBeGreaterThan(100);
  expectNoneLost(t, drained);
}, 240_000);

/** Fills a file system with one file until it says ENOSPC; fill() again tops it up. */
class Filler {
  private fd: number | null;
  bytes = 0;
  private readonly big = Buffer.alloc(1024 * 1024, 1);
  private readonly small = Buffer.alloc(4096, 1);

  constructor(readonly path: string) {
    this.fd = openSync(path, 'a');
  }

  fill(): void {
    for (const chunk of [this.big, this.small]) {
      for (;;) {
        try {
          const n = writeSync(this.fd!, chunk);
          this.bytes += n;
          if (n < chunk.length) break;
        } catch {
          break;
        }
      }
    }
  }

  remove(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
    rmSync(this.path, { force: true });
  }
}

test.skipIf(noTmpfs !== null)('SQLite on a tmpfs that fills and empties again under steady load: every entry stored exactly once', async () => {
  const mnt = newDir('lp-chaos-tmpfs-');
  const mount = Bun.spawnSync(['mount', '-t', 'tmpfs', '-o', 'size=64m,mode=0700', 'tmpfs', mnt], { stderr: 'pipe' });
  expect(mount.stderr.toString()).toBe('');
  cleanups.push(() => Bun.spawnSync(['umount', '-l', mnt]));
  const dataDir = join(mnt, 'data');
  mkdirSync(dataDir);
  const server = await startServer({ env: { DATA_DIR: dataDir, ADMIN_TOKEN: TOKEN } });
  await createConfig(server.url, TOKEN, { proxyModelName: MODEL, baseUrl: mock.baseUrl, backendModelName: 'repeat' });
  const load = startLoad({ target: server, tag: 'full' });
  await Bun.sleep(3_000);

  const filler = new Filler(join(mnt, 'filler'));
  cleanups.push(() => filler.remove());
  const full = now();
  filler.fill();
  const freeWhenFull = statfsSync(mnt).bavail * statfsSync(mnt).bsize;
  // Whatever SQLite or the spool gives back is taken again at once: the disk stays full.
  const topUp = setInterval(() => filler.fill(), 20);
  let during: Health;
  try {
    await Bun.sleep(4_000);
    during = await health(server.url);
    await Bun.sleep(4_000);
  } finally {
    clearInterval(topUp);
  }
  const fillerBytes = filler.bytes;
  filler.remove();
  const fullMs = now() - full;
  await Bun.sleep(4_000);
  await load.stop();
  const drainFrom = now();
  const drained = await waitForDrain(server.url, 60_000);
  const drainMs = now() - drainFrom;
  expect(await server.stop('SIGTERM')).toBe(0);

  const t = tally(load.sent, storedInSqlite(dataDir));
  summary('SQLite disk full', t, {
    'sent while full': startedDuring(load.sent, full, full + fullMs), 'full s': secs(fullMs), 'filler MiB': (fillerBytes / 2 ** 20).toFixed(1),
    'free when full': freeWhenFull, 'health while full': during!.status, 'write failures': drained.logQueue.writeFailures, 'spool dropped': drained.logQueue.spoolDropped,
    'queue dropped': drained.logQueue.dropped, 'drain s': secs(drainMs),
  });
  if (t.lost.length > 0) console.log(`[chaos] SQLite disk full: lost ${t.lost.slice(0, 3).map((s) => s.marker).join(', ')}…; server said:\n${(server.stdout() + server.stderr()).split('\n').filter((l) => l.includes('[logs]') || l.includes('[store]')).slice(0, 20).join('\n')}`);
  // Not vacuous: the full disk reached the store.
  expect(freeWhenFull).toBe(0);
  expect(during!.store.ok).toBe(false);
  // The spool's disk is full too: its entries wait in memory, and /health says they are at risk.
  expect(during!.status).toBe('unavailable');
  expect(during!.logQueue.spoolFailing).toContain('ENOSPC');
  expect(drained.logQueue.writeFailures).toBeGreaterThan(0);
  expectNoneLost(t, drained);
}, 120_000);

test('kill -9 under steady load: the entries lost were answered within the last write interval', async () => {
  const dataDir = newDir('lp-chaos-kill-');
  const server = await startServer({ env: { DATA_DIR: dataDir, ADMIN_TOKEN: TOKEN } });
  await createConfig(server.url, TOKEN, { proxyModelName: MODEL, baseUrl: mock.baseUrl, backendModelName: 'repeat' });
  const clients = 8;
  const load = startLoad({ target: server, tag: 'kill', clients, pauseMs: 0 });
  await Bun.sleep(4_000);
  const killAt = now();
  server.proc.kill('SIGKILL');
  const stopped = load.stop();
  await server.exited;
  await stopped;

  // Those started after the kill found no server: they are not part of the count.
  const t = tally(load.sent.filter((s) => s.startedAt <= killAt), storedInSqlite(dataDir));
  const windowMs = t.lost.length > 0 ? killAt - Math.min(...t.lost.map((s) => s.finishedAt!)) : 0;
  const answeredWithin = (ms: number) => load.sent.filter((s) => s.complete && s.finishedAt! >= killAt - ms).length;
  summary('kill -9 under load', t, {
    'answered in the last 25 ms': answeredWithin(25), 'in the last 100 ms': answeredWithin(100),
    'loss window ms': windowMs.toFixed(1), 'req/s': (t.answered / 4).toFixed(0),
  });
  expect(t.answered).toBeGreaterThan(200);
  expect(t.duplicateIds).toBe(0);
  expect(t.duplicateMarkers).toEqual([]);
  expect(t.unknown).toEqual([]);
  // Only the requests the kill cut failed: one at most per client, none answered.
  expect(t.failed.length).toBeLessThanOrEqual(clients);
  expect(t.failed.every((s) => s.finishedAt === null && s.error !== null)).toBe(true);
  // The bound: at most the entries of the last write interval (the recorder's 20 ms batch and the
  // writer's commit); 250 ms leaves room for a loaded 2-core machine.
  expect(t.lost.every((s) => s.finishedAt! >= killAt - 250)).toBe(true);
  expect(t.stored).toBeGreaterThanOrEqual(t.answered - t.lost.length);
}, 60_000);
