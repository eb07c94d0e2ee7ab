/**
 * `bun run bench`: the proxy as users run it (`bun run server`, embedded store, logging on) against
 * a fast mock upstream, each figure taken against direct calls to the same mock in the same run.
 *   bun run bench              the full run (about 13 minutes with MongoDB); writes bench/results/<date>.json
 *   bun run bench --quick      a few seconds; fails only on breakage (CI's smoke test)
 *   bun run bench --only=latency,throughput,streaming,cancel,open-streams,large-answers,silence,soak,keys,failover,logging,mongodb,logs
 *   bun run bench --soak-seconds=60
 *   bun run bench --only=logs --logs-entries=100000   the logs scenario (1,000,000 entries by default; --quick: 100,000)
 *       --logs-refill makes the 0.1.0 fill again instead of using bench/.cache/; --logs-keep keeps its DATA_DIR
 *   bun run bench --proxy-env=LOG_REQUESTS=false,LOG_BODY_BYTES=4096   extra settings for the proxy (for profiling)
 * The method of each figure is in bench/README.md.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { addModels, CORES, FERRETDB_SCRIPT, hasFerretScript, startMock, startProxy, type Mock, type Proxy } from './lib/procs.ts';
import * as s from './lib/scenarios.ts';
import { round } from './lib/stats.ts';
import { logsBroken, logsRows } from './lib/logs-report.ts';
import { logsScenario } from './lib/logs-scenario.ts';
import { hasWrk } from './lib/wrk.ts';

const args = new Map(process.argv.slice(2).map((a) => {
  const [k, v] = a.replace(/^--/, '').split('=');
  return [k!, v ?? 'true'] as const;
}));
const quick = args.has('quick');
const only = args.get('only')?.split(',');
const wanted = (item: string) => (only ? only.includes(item) : true);
const proxyEnv: Record<string, string> = Object.fromEntries(
  (args.get('proxy-env')?.split(',') ?? []).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
);
const soakSeconds = Number(args.get('soak-seconds') ?? (quick ? 5 : 300));
// Minutes of work at a million entries: part of the full run, but never of the default quick one (CI's).
const logsWanted = args.has('logs') || (quick ? only?.includes('logs') === true : wanted('logs'));
const logsEntries = Number(args.get('logs-entries') ?? (quick ? 100_000 : 1_000_000));
// Proxy on one core, mock and load generator on the other: the figures hold stiller than when all share.
const PROXY_CORE = CORES >= 2 ? 0 : null;
const LOAD_CORE = CORES >= 2 ? 1 : null;

interface Row { figure: string; value: string; target: string; met: boolean | null }
const rows: Row[] = [];
const results: Record<string, unknown> = {};
const failures: string[] = [];
const fmt = (n: number, unit = 'ms') => `${round(n, 3)} ${unit}`;
const row = (figure: string, value: string, target = '', met: boolean | null = null) => {
  rows.push({ figure, value, target, met });
  console.log(`  ${figure}: ${value}${target && met !== null ? `  (target ${target}: ${met ? 'met' : 'MISSED'})` : ''}`);
};
/** A breakage, not a timing: fails the quick run. */
const check = (ok: boolean, what: string) => {
  if (!ok) failures.push(what);
};

const BEHAVIOURS = ['json', 'big:50', 'bomb:200', 'stream:64:20', 'stream:16:10', 'stream:50:20', 'stream:10:10', 'stream:20:500', 'first-byte-after:60000', 'silent-after-first:60000'];

async function withProxy<T>(mock: Mock, env: Record<string, string>, fn: (proxy: Proxy) => Promise<T>): Promise<T> {
  const proxy = await startProxy({ core: PROXY_CORE, env: { ...proxyEnv, ...env } });
  try {
    await addModels(proxy, mock.url, BEHAVIOURS);
    return await fn(proxy);
  } finally {
    await proxy.stop();
  }
}

const MAIN_ITEMS = ['latency', 'throughput', 'streaming', 'cancel', 'open-streams', 'large-answers', 'silence'];

async function mainRun(mock: Mock, env: Record<string, string>, label: string) {
  let throughput: s.Throughput | undefined;
  if (!MAIN_ITEMS.some(wanted)) return throughput;
  await withProxy(mock, env, async (proxy) => {
    if (wanted('latency')) {
      console.log(`\n[1] added latency, non-streamed, concurrency 1 (${label})`);
      const r = await s.latency(mock, proxy, quick ? { warmup: 50, rounds: 2, perRound: 50 } : { warmup: 500, rounds: 10, perRound: 300 });
      results.latency = r;
      row('added latency, median of round medians', fmt(r.addedMedianMs), '≤ 0.25 ms', r.addedMedianMs <= 0.25);
      row('added latency, p99 of pairs', fmt(r.addedP99Ms), '≤ 1 ms', r.addedP99Ms <= 1);
      row('direct / proxied median', `${fmt(r.directMedianMs)} / ${fmt(r.proxiedMedianMs)}`);
    }
    if (wanted('throughput') && !quick && hasWrk()) {
      console.log(`\n[2] throughput, non-streamed, concurrency 64, 10 s (${label})`);
      throughput = await s.throughput(mock, proxy, { seconds: 10, connections: 64, core: LOAD_CORE });
      results.throughput = throughput;
      row('throughput proxied ÷ direct', round(throughput.ratio, 3).toString(), '≥ 0.45', throughput.ratio >= 0.45);
      row('direct: req/s, p50, p99', `${Math.round(throughput.direct.rps)}/s, ${fmt(throughput.direct.p50Ms)}, ${fmt(throughput.direct.p99Ms)}`);
      row('proxied: req/s, p50, p99', `${Math.round(throughput.proxied.rps)}/s, ${fmt(throughput.proxied.p50Ms)}, ${fmt(throughput.proxied.p99Ms)}`);
      row('errors during the runs', String(throughput.direct.errors + throughput.proxied.errors), '0', throughput.direct.errors + throughput.proxied.errors === 0);
    }
    if (wanted('streaming')) {
      const size = quick ? { rounds: 1, concurrency: 10, chunks: 16, gapMs: 10 } : { rounds: 4, concurrency: 100, chunks: 64, gapMs: 20 };
      console.log(`\n[3] streaming: ${size.chunks} chunks every ${size.gapMs} ms at concurrency ${size.concurrency}`);
      const r = await s.streaming(mock, proxy, size);
      results.streaming = r;
      row('added TTFT p50 / p99', `${fmt(r.addedTtftP50Ms)} / ${fmt(r.addedTtftP99Ms)}`, 'p99 ≤ 1 ms', r.addedTtftP99Ms <= 1);
      row(`inter-chunk gap p99 over the mock's ${size.gapMs} ms, proxied (direct)`, `${fmt(r.proxied.gapP99Ms - size.gapMs)} (${fmt(r.direct.gapP99Ms - size.gapMs)})`, '≤ 2 ms', r.proxied.gapP99Ms - size.gapMs <= 2);
      row('reads with merged chunks, proxied (direct)', `${r.proxied.mergedReads} of ${r.reads} (${r.direct.mergedReads})`, '0', r.proxied.mergedReads === 0);
      row('streams with every event delivered', `${r.streams - r.incomplete} of ${r.streams}`, 'all', r.incomplete === 0);
      check(r.incomplete === 0, `${r.incomplete} proxied streams lost or garbled events`);
      check(r.proxied.mergedReads <= r.reads * 0.1, `the proxy merged chunks in ${r.proxied.mergedReads} of ${r.reads} reads`);
    }
    if (wanted('cancel')) {
      console.log('\n[3b] clients that cancel mid-stream');
      const r = await s.cancellation(mock, proxy, quick ? 5 : 20);
      results.cancel = r;
      row('cancels that reached the backend', `${r.cancelledAtBackend} of ${r.aborted}`, 'all', r.cancelledAtBackend === r.aborted);
      check(r.cancelledAtBackend === r.aborted, `only ${r.cancelledAtBackend} of ${r.aborted} cancels reached the backend`);
    }
    if (wanted('open-streams') && !quick) {
      console.log('\n[4] 1,000 slow streams held open');
      const r = await s.openStreams(mock, proxy, { count: 1000, chunks: 20, gapMs: 500 });
      results.openStreams = r;
      row('RSS with 1,000 open streams (baseline)', `${fmt(r.maxOpenMb, 'MB')} (${fmt(r.baselineMb, 'MB')})`, '≤ 200 MB', r.maxOpenMb <= 200);
      row('RSS after they ended', fmt(r.afterMb, 'MB'));
      row('streams completed', `${r.completed} of ${r.count}`, 'all', r.completed === r.count);
    }
    if (wanted('large-answers')) {
      // --quick (CI): smaller answers, checked for breakage only.
      const [bigMb, bombMb] = quick ? [5, 20] : [50, 200];
      console.log(`\n[4b] large answers: the proxy's memory for a ${bigMb} MB JSON answer and a gzip bomb (inflates to ${bombMb} MB)`);
      const cases = [
        { key: 'big', label: `${bigMb} MB JSON answer, streamed without a length`, model: `big:${bigMb}`, accept: null, bytes: bigMb * 2 ** 20 },
        { key: 'bombPassed', label: `gzip bomb (${bombMb} MB inflated), client takes gzip`, model: `bomb:${bombMb}`, accept: 'gzip', bytes: null },
        { key: 'bombInflated', label: `gzip bomb (${bombMb} MB inflated), client takes no gzip`, model: `bomb:${bombMb}`, accept: null, bytes: bombMb * 2 ** 20 },
      ] as const;
      const large: Record<string, s.LargeAnswer> = {};
      if (quick) await addModels(proxy, mock.url, [`big:${bigMb}`, `bomb:${bombMb}`]);
      for (const c of cases) {
        // Once to warm the code paths (their first run compiles and allocates for good), then measured.
        await s.largeAnswer(proxy, c.model, c.accept, { settleMs: 0 });
        const r = await s.largeAnswer(proxy, c.model, c.accept);
        large[c.key] = r;
        const growth = r.peakMb - r.baselineMb;
        row(`RSS growth, ${c.label}`, `${fmt(growth, 'MB')} (${fmt(r.baselineMb, 'MB')} → ${fmt(r.peakMb, 'MB')}; ${fmt(r.bytesRead / 2 ** 20, 'MB')} read${r.contentEncoding ? ` as ${r.contentEncoding}` : ''} in ${fmt(r.ms)})`, '≤ 32 MB', quick ? null : growth <= 32);
        check(r.status === 200, `${c.label}: status ${r.status}`);
        if (c.bytes !== null) check(r.bytesRead === c.bytes, `${c.label}: the client read ${r.bytesRead} of ${c.bytes} bytes`);
        else check(r.contentEncoding === 'gzip', `${c.label}: it did not pass as gzip`);
      }
      results.largeAnswers = large;
    }
    if (wanted('silence') && !quick) {
      console.log('\n[8] 60 s of backend silence');
      const r = await s.longSilence(mock, proxy, 60);
      results.silence = r;
      row('full answer after 60 s before the first byte', String(r.silentBeforeFirstByte), 'true', r.silentBeforeFirstByte);
      row('full stream after 60 s of silence mid-stream', String(r.silentAfterFirstChunk), 'true', r.silentAfterFirstChunk);
    }
  });
  return throughput;
}

async function soakRun(mock: Mock, env: Record<string, string>, label: string, key: string) {
  console.log(`\n[5] soak, ${soakSeconds} s of mixed traffic (${label})`);
  const r = await withProxy(mock, env, (proxy) => s.soak(mock, proxy, { seconds: soakSeconds, concurrency: 16, warmupSeconds: quick ? 1 : 60 }));
  results[key] = r;
  row(`log rows = requests sent (${label})`, `${r.rows} / ${r.sent}`, 'equal', r.rows === r.sent);
  row(`RSS growth after the first minute (${label})`, `${round(r.growthMbPerMin, 2)} MB/min (${round(r.rssStartMb, 1)} → ${round(r.rssEndMb, 1)} MB)`, '≤ 1 MB/min', quick ? null : r.growthMbPerMin <= 1);
  row(`failed requests (${label})`, String(r.failed), '0', r.failed === 0);
  check(r.rows === r.sent, `${label}: ${r.sent - r.rows} log rows missing`);
  check(r.failed === 0, `${label}: ${r.failed} requests failed`);
}

/**
 * The cost of client keys: the same requests, each with an `Authorization: Bearer sk-lp-…` header,
 * to a proxy that checks the key (CLIENT_AUTH=required, one key) and to one that does not
 * (CLIENT_AUTH=off). Both send the header, as every OpenAI client does, so the difference is the
 * check and its bookkeeping alone: the key has RPM, TPM, in-flight and budget limits it never
 * reaches, so the limiter and the budget ledger run on every request. Target: ≤ 5 % of throughput, ≤ 0.02 ms of median latency.
 */
/**
 * Failover: what a client pays when its first backend fails before the first byte. Three groups on
 * one proxy whose breakers do not trip (COOLDOWN_FAILURES 1000, more than the run sends, so every request meets the
 * failure): a healthy one; one whose first tier refuses connections (a closed port) before a
 * healthy second tier; one whose first tier answers 503. Medians of sequential requests, the
 * groups in turn. Targets: a refused connection adds under 1 ms; a 503 adds about one round trip.
 */
async function failoverRun(mock: Mock) {
  console.log('\n[6c] failover before the first byte: refused connection, 503 (breakers kept closed)');
  const n = quick ? 50 : 600;
  const closedPort = await new Promise<number>((resolve) => {
    const probe = Bun.listen({ hostname: '127.0.0.1', port: 0, socket: { data() {} } });
    const port = probe.port;
    probe.stop(true);
    resolve(port);
  });
  await withProxy(mock, { COOLDOWN_FAILURES: '1000' }, async (proxy) => {
    const add = (i: Record<string, unknown>) => proxy.gql('mutation($i: CreateConfigInput!) { createConfig(input: $i) { id } }', { i });
    await add({ proxyModelName: 'fo-healthy', baseUrl: mock.url, backendModelName: 'json' });
    await add({ proxyModelName: 'fo-refused', baseUrl: `http://127.0.0.1:${closedPort}/v1`, backendModelName: 'json', priority: 0 });
    await add({ proxyModelName: 'fo-refused', baseUrl: mock.url, backendModelName: 'json', priority: 1 });
    await add({ proxyModelName: 'fo-503', baseUrl: mock.url, backendModelName: 'status:503', priority: 0 });
    await add({ proxyModelName: 'fo-503', baseUrl: mock.url, backendModelName: 'json', priority: 1 });
    const url = `${proxy.url}/v1/chat/completions`;
    const time = async (model: string) => {
      const t = performance.now();
      const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }] }) });
      await res.arrayBuffer();
      check(res.status === 200 && res.headers.get('x-lite-proxy-attempts') === (model === 'fo-healthy' ? '1' : '2'), `failover: ${model} answered ${res.status} after ${res.headers.get('x-lite-proxy-attempts')} attempts`);
      return performance.now() - t;
    };
    const models = ['fo-healthy', 'fo-refused', 'fo-503'] as const;
    for (let i = 0; i < 50; i++) for (const m of models) await time(m);
    const took: Record<string, number[]> = { 'fo-healthy': [], 'fo-refused': [], 'fo-503': [] };
    for (let i = 0; i < n; i++) for (const m of models) took[m]!.push(await time(m));
    const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const healthy = med(took['fo-healthy']!);
    const refused = med(took['fo-refused']!) - healthy;
    const after503 = med(took['fo-503']!) - healthy;
    results.failover = { healthyMedianMs: healthy, refusedExtraMs: refused, after503ExtraMs: after503, requests: n };
    row('failover: median of a healthy group', fmt(healthy));
    row('failover: extra when the first backend refuses connections', fmt(refused), '< 1 ms', quick ? null : refused < 1);
    row('failover: extra when the first backend answers 503 (one round trip)', fmt(after503), `≈ ${fmt(healthy)}`, null);
  });
}

async function keysRun(mock: Mock) {
  console.log('\n[6b] client keys: the key checked on every request (CLIENT_AUTH=required) against not (off), both sending it');
  const size = quick ? { warmup: 50, rounds: 2, perRound: 50 } : { warmup: 500, rounds: 10, perRound: 300 };
  const measure = async (proxy: Proxy, headers: Record<string, string>) => ({
    latency: await s.latency(mock, proxy, size, headers),
    throughput: !quick && hasWrk() ? await s.throughput(mock, proxy, { seconds: 10, connections: 64, core: LOAD_CORE, proxiedHeaders: headers }) : null,
  });
  const unchecked = { authorization: `Bearer sk-lp-AAAAAAAAAAAA-${'x'.repeat(43)}` };
  const off = await withProxy(mock, { CLIENT_AUTH: 'off' }, (proxy) => measure(proxy, unchecked));
  const on = await withProxy(mock, { CLIENT_AUTH: 'required' }, async (proxy) => {
    // Limits and budgets that never refuse, so that the limiter and the budget ledger run on every request.
    const created = await proxy.gql<{ createApiKey: { secret: string } }>(
      'mutation { createApiKey(input: { name: "bench", rpm: 1000000000, tpm: 1000000000, maxParallel: 1000000, budgetTokens: 1e15, budgetUsd: 1e9, budgetPeriod: MONTH }) { secret } }',
    );
    return measure(proxy, { authorization: `Bearer ${created.createApiKey.secret}` });
  });
  results.keys = { off, on };
  row('added latency, key checked / not, median', `${fmt(on.latency.addedMedianMs)} / ${fmt(off.latency.addedMedianMs)}`,
    '≤ +0.02 ms', quick ? null : on.latency.addedMedianMs - off.latency.addedMedianMs <= 0.02);
  if (on.throughput && off.throughput) {
    const ratio = on.throughput.proxied.rps / off.throughput.proxied.rps;
    row('throughput, key checked ÷ not', `${round(ratio, 3)} (${Math.round(on.throughput.proxied.rps)}/s vs ${Math.round(off.throughput.proxied.rps)}/s)`, '≥ 0.95', ratio >= 0.95);
    const errors = on.throughput.proxied.errors + off.throughput.proxied.errors;
    row('errors in the key runs', String(errors), '0', errors === 0);
    check(errors === 0, `${errors} requests of the client-key runs failed`);
  }
}

async function loggingRun(mock: Mock, on: s.Throughput | undefined) {
  if (!on) return;
  console.log('\n[6] logging cost: throughput with LOG_REQUESTS=false');
  const off = await withProxy(mock, { LOG_REQUESTS: 'false' }, (proxy) =>
    s.throughput(mock, proxy, { seconds: 10, connections: 64, core: LOAD_CORE, direct: on.direct }));
  results.loggingOff = off;
  const ratio = on.proxied.rps / off.proxied.rps;
  row('throughput logging on ÷ off', round(ratio, 3).toString(), '≥ 0.9', ratio >= 0.9);
}

async function mongoRun(mock: Mock, sqlite: s.Throughput | undefined) {
  let uri = process.env.MONGODB_URI;
  let stopFerret: (() => void) | null = null;
  if (!uri && hasFerretScript()) {
    const pidFile = `/tmp/lite-proxy-bench-ferretdb-${process.pid}.pid`;
    const proc = Bun.spawnSync(['bash', FERRETDB_SCRIPT, pidFile], { stdout: 'inherit', stderr: 'inherit' });
    if (proc.exitCode === 0) {
      uri = 'mongodb://127.0.0.1:27017';
      stopFerret = () => Bun.spawnSync(['bash', '-c', `kill $(cat ${pidFile})`]);
    }
  }
  if (!uri) {
    row('MongoDB store', 'skipped: no MONGODB_URI and FerretDB could not be started');
    return;
  }
  try {
    const env = { MONGODB_URI: uri, DATABASE_NAME: `lp_bench_${Date.now()}` };
    if (hasWrk()) {
      console.log('\n[7] MongoDB store: throughput');
      const r = await withProxy(mock, env, (proxy) => s.throughput(mock, proxy, { seconds: 10, connections: 64, core: LOAD_CORE, direct: sqlite?.direct }));
      results.mongoThroughput = r;
      row('MongoDB throughput proxied ÷ direct', round(r.ratio, 3).toString(), sqlite ? `within 10% of ${round(sqlite.ratio, 3)}` : '', sqlite ? r.ratio >= sqlite.ratio * 0.9 : null);
    }
    await soakRun(mock, { ...env, DATABASE_NAME: `${env.DATABASE_NAME}_soak` }, 'MongoDB', 'mongoSoak');
  } finally {
    stopFerret?.();
  }
}

async function logsRun(mock: Mock) {
  console.log(`\n[9] logs at scale: ${logsEntries.toLocaleString('en-US')} entries written by 0.1.0, upgraded, then the Logs page's work`);
  if (!Number.isInteger(logsEntries) || logsEntries < 1000) throw new Error('--logs-entries must be a whole number of at least 1000');
  const r = await logsScenario({
    entries: logsEntries,
    mock,
    core: PROXY_CORE,
    env: proxyEnv,
    idleMs: quick ? 1_000 : 3_000,
    vacuumWaitMs: quick ? 3_000 : 65_000,
    refill: args.has('logs-refill'),
    maxFillAgeHours: 12,
    keepDataDir: args.has('logs-keep'),
  });
  results.logs = r;
  console.log(`  phases (s): ${Object.entries(r.phasesSeconds).map(([k, v]) => `${k} ${v}`).join(', ')}`);
  for (const x of logsRows(r)) row(x.figure, x.value, x.target, x.met);
  for (const b of logsBroken(r)) check(false, b);
}

const machine = { cores: CORES, cpu: cpus()[0]?.model ?? 'unknown', bun: Bun.version, pinned: PROXY_CORE !== null ? 'proxy on core 0; mock, wrk and the measuring client on core 1' : 'no' };
console.log(`Lite Proxy benchmark${quick ? ' (quick)' : ''}: ${machine.cores} cores, ${machine.cpu}, Bun ${machine.bun}; pinning: ${machine.pinned}`);
if (!quick && !hasWrk()) console.log('wrk not found: throughput figures are skipped (Debian: apt-get install wrk)');

// The measuring client shares the load core with the mock, so the proxy has a core to itself.
if (LOAD_CORE !== null && Bun.which('taskset')) Bun.spawnSync(['taskset', '-pc', String(LOAD_CORE), String(process.pid)], { stdout: 'ignore' });
const mock = await startMock(LOAD_CORE);
try {
  const sqliteThroughput = await mainRun(mock, {}, 'SQLite');
  if (wanted('soak')) await soakRun(mock, {}, 'SQLite', 'soak');
  if (wanted('keys')) await keysRun(mock);
  if (wanted('failover')) await failoverRun(mock);
  if (wanted('logging') && !quick) await loggingRun(mock, sqliteThroughput);
  if (wanted('mongodb') && !quick) await mongoRun(mock, sqliteThroughput);
  if (logsWanted) {
    // A failure here (no git, a full disk) must not lose the figures taken before it.
    await logsRun(mock).catch((err: unknown) => {
      row('logs scenario', `failed: ${err instanceof Error ? err.message : String(err)}`);
      check(false, `the logs scenario failed: ${String(err)}`);
    });
  }
} finally {
  await mock.stop();
}

console.log('\n| figure | value | target | |\n|---|---|---|---|');
for (const r of rows) console.log(`| ${r.figure} | ${r.value} | ${r.target} | ${r.met === null ? '' : r.met ? 'met' : 'missed'} |`);

// Only a full run makes a results file: partial and quick runs would overwrite the day's figures.
if (!quick && !only) {
  const dir = join(import.meta.dir, 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${new Date().toISOString().slice(0, 10)}.json`);
  writeFileSync(file, `${JSON.stringify({ date: new Date().toISOString(), machine, rows, results }, null, 2)}\n`);
  console.log(`\nwritten to ${file}`);
}
if (failures.length > 0) {
  console.error(`\nBROKEN:\n- ${failures.join('\n- ')}`);
  process.exit(1);
}
