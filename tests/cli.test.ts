/**
 * `bun run cli` as a real process, with an environment built from scratch: configs export and
 * import through files, one-line errors without stack traces, and migrate between stores (SQLite to
 * SQLite; SQLite to MongoDB and back when MONGODB_URI is set), including a resumed interrupted run.
 */
import { afterAll, describe, expect, test } from 'bun:test';
import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { KEY_ROLLUP_SIZES, rollupsOf, ROLLUP_SIZES } from '../server/stats/rollup.ts';
import { type RollupRow } from '../server/store/types.ts';
import { SqliteStore } from '../server/store/sqlite.ts';
import { loadSecretKey } from '../server/store/secret-box.ts';
import { JsonText } from '../server/json.ts';
import { type ApiKeyRow, type ConfigRow, type LogRow, type Store } from '../server/store/types.ts';
import { tempDir } from './helpers/app.ts';
import { REPO_ROOT, startServer } from './helpers/server-process.ts';

const dirs: string[] = [];
const dir = () => {
  const d = tempDir('lite-proxy-cli-');
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

async function cli(args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  // --silent: only the CLI's own output, without bun's "$ bun run …" and "script exited" lines.
  const proc = Bun.spawn([process.execPath, 'run', '--silent', 'cli', ...args], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', NO_COLOR: '1', ...env },
    stdin: 'ignore', stdout: 'pipe', stderr: 'pipe',
  });
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { code, stdout, stderr };
}

/** Exit code 1, one line on stderr matching `message`, nothing that looks like a stack trace. */
function expectOneLineError(run: CliRun, message: RegExp) {
  expect(run.code).toBe(1);
  expect(run.stderr.trimEnd().split('\n')).toEqual([expect.stringMatching(message)]);
  expect(run.stderr + run.stdout).not.toMatch(/^\s+at |\.ts:\d+/m);
}

const T0 = Date.UTC(2025, 4, 1, 22, 0, 0);
const at = (ms: number) => new Date(T0 + ms);

const KEYS = ['sk-alpha-SECRET-1234567890', 'sk-beta-SECRET-0987654321'];
const CONFIGS: ConfigRow[] = [
  { id: 'cfg-a', proxyModelName: 'alpha', baseUrl: 'https://a.example/v1', backendModelName: 'gpt-4o', apiKey: KEYS[0]!, ignoreSslVerify: false, enabled: true, timeoutMs: 30_000, inputPrice: null, cachedInputPrice: null, outputPrice: null, weight: null, priority: null, injectStreamUsage: null, createdAt: at(0), updatedAt: at(1) },
  { id: 'cfg-b', proxyModelName: 'beta', baseUrl: 'http://b.example:8080/v1', backendModelName: 'llama', apiKey: KEYS[1]!, ignoreSslVerify: true, enabled: false, timeoutMs: null, inputPrice: null, cachedInputPrice: null, outputPrice: null, weight: null, priority: null, injectStreamUsage: null, createdAt: at(2), updatedAt: at(2) },
  { id: 'cfg-c', proxyModelName: 'beta', baseUrl: 'http://c.example/v1', backendModelName: 'llama', apiKey: null, ignoreSslVerify: false, enabled: true, timeoutMs: null, inputPrice: null, cachedInputPrice: null, outputPrice: null, weight: null, priority: null, injectStreamUsage: null, createdAt: at(3), updatedAt: at(3) },
];

/** `n` entries, 150 s apart (so that they span days and hours), some streamed, some failed, some unrouted. */
function makeLogs(n: number): LogRow[] {
  return Array.from({ length: n }, (_, i) => ({
    id: `log-${String(i).padStart(5, '0')}`, timestamp: at(i * 150_000), method: 'POST', path: '/v1/chat/completions',
    model: i % 7 === 0 ? 'unknown' : i % 2 ? 'alpha' : 'beta', backendModel: 'gpt-4o', configId: i % 7 === 0 ? null : 'cfg-a',
    upstreamUrl: 'https://a.example/v1/chat/completions', statusCode: [200, 200, 429, 502][i % 4]!, stream: i % 3 === 0,
    durationMs: 100 + i * 3.5, ttftMs: i % 3 === 0 ? 20 + i : null, promptTokens: i, completionTokens: 2 * i, totalTokens: 3 * i,
    error: i % 4 === 3 ? 'Backend unreachable: "x"' : null, clientIp: '127.0.0.1', userAgent: `test/${i}`,
    apiKeyId: i % 3 === 1 ? API_KEY.id : null, apiKeyName: i % 3 === 1 ? API_KEY.name : null, costUsd: i % 5 === 0 ? null : i / 1e6, attemptCount: i % 11 === 0 ? 2 : 1, usageEstimated: i % 13 === 0 ? true : null,
    requestHeaders: { 'content-type': 'application/json' }, requestBody: { model: 'alpha', messages: [{ role: 'user', content: `hi ${i} 世界` }], $where: 1 },
    responseHeaders: { 'content-type': 'application/json' }, responseBody: i % 5 === 0 ? null : { id: `r${i}` },
    streamContent: i % 3 === 0 ? `text ${i}` : null, chunks: i % 3 === 0 ? [{ choices: [{ delta: { content: `text ${i}` } }] }, '[DONE]'] : null, attempts: null,
  }));
}

/** A client key (its hash only), as schema version 3 keeps it. */
const API_KEY: ApiKeyRow = {
  id: 'key-1', name: 'ci', publicId: 'AbCdEfGh1234', secretHash: 'ab'.repeat(32), allowedModels: ['alpha'], rpm: 60, tpm: null, maxParallel: 2,
  budgetTokens: 1e6, budgetUsd: 5, budgetPeriod: 'MONTH', expiresAt: null, enabled: true, revokedAt: null, metadata: { team: 'infra' },
  createdAt: at(0), updatedAt: at(1), lastUsedAt: at(2),
};

async function seed(store: Store, logs: LogRow[]) {
  await store.init();
  for (const c of CONFIGS) await store.insertConfig(c);
  await store.insertApiKey(API_KEY);
  await store.putModelGroup({ name: CONFIGS[0]!.proxyModelName, fallbacks: [], contextFallbacks: [], maxAttempts: 2, retryOnStatus: [503], updatedAt: new Date('2026-12-01T00:00:00Z') });
  for (let i = 0; i < logs.length; i += 500) await store.insertLogs(logs.slice(i, i + 500));
  await store.addRollups(rollupsOf(logs));
}

const ALL_TIME = { from: new Date(0), to: new Date(Date.UTC(3000, 0, 1)) };

/** Everything a store holds, in a comparable form. */
async function contents(store: Store) {
  const parsed = (row: LogRow) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, v instanceof JsonText ? v.parse() : v]));
  const key = (r: RollupRow) => `${r.size}:${r.start.getTime()}:${r.model}`;
  const rollups: RollupRow[] = [];
  for (const size of ROLLUP_SIZES) rollups.push(...(await store.readRollups({ size, ...ALL_TIME })));
  const keyRollups: RollupRow[] = [];
  for (const size of KEY_ROLLUP_SIZES) keyRollups.push(...(await store.readRollups({ size, ...ALL_TIME, byKey: true })));
  const keyKey = (r: RollupRow) => `${r.size}:${r.start.getTime()}:${r.apiKeyId}`;
  return {
    configs: await store.listConfigs(),
    apiKeys: await store.listApiKeys(),
    modelGroups: await store.listModelGroups(),
    keyRollups: keyRollups.sort((a, b) => (keyKey(a) < keyKey(b) ? -1 : 1)),
    logs: (await store.queryLogRows({ filter: {}, limit: 100_000 })).map(parsed),
    rollups: rollups.sort((a, b) => (key(a) < key(b) ? -1 : 1)),
  };
}

async function withSqlite<T>(path: string, fn: (store: Store) => Promise<T>): Promise<T> {
  const store = new SqliteStore(path);
  try {
    await store.init();
    return await fn(store);
  } finally {
    await store.close();
  }
}

describe('cli: help and mistakes', () => {
  test('help prints the usage; no command or an unknown one is an error', async () => {
    const help = await cli(['help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: bun run cli <command> [options]');
    for (const command of ['export-configs', 'import-configs <file> [--replace]', 'migrate --from <store> --to <store>']) expect(help.stdout).toContain(command);
    expectOneLineError(await cli(['frobnicate']), /^unknown command "frobnicate"/);
    const none = await cli([]);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('Usage:');
  });

  test('user mistakes end with one line on stderr and exit code 1', async () => {
    const data = dir();
    const env = { DATA_DIR: data };
    await withSqlite(join(data, 'lite-proxy.sqlite'), (s) => s.insertConfig(CONFIGS[0]!));
    writeFileSync(join(data, 'not-json.json'), '{"format": "lite-proxy-configs", ');
    writeFileSync(join(data, 'bad-entry.json'), JSON.stringify({
      format: 'lite-proxy-configs', version: 1,
      configs: [{ proxyModelName: 'x', baseUrl: 'https://x.example/v1', backendModelName: 'y' }, { proxyModelName: 'x', baseUrl: 'ftp://x', backendModelName: 'y' }],
    }));
    expectOneLineError(await cli(['import-configs', join(data, 'missing.json')], env), /missing\.json: no such file$/);
    expectOneLineError(await cli(['import-configs', join(data, 'not-json.json')], env), /not-json\.json is not JSON: /);
    expectOneLineError(await cli(['import-configs', join(data, 'bad-entry.json')], env), /bad-entry\.json: configs\[1\]\.baseUrl: must use http or https, got "ftp:"; nothing was imported$/);
    expectOneLineError(await cli(['import-configs'], env), /^import-configs takes one file/);
    expectOneLineError(await cli(['export-configs', '--bogus'], env), /Unknown option '--bogus'/);
    expectOneLineError(await cli(['export-configs', '--with-keys'], env), /^--with-keys needs --out <file>/);
    expectOneLineError(await cli(['export-configs'], { DATA_DIR: join(data, 'nowhere') }), /^no database at .*nowhere\/lite-proxy\.sqlite/);
    expectOneLineError(await cli(['export-configs'], { ...env, PORT: 'eighty' }), /^Invalid setting: PORT must be a whole number/);
    expectOneLineError(await cli(['export-configs', '--out', join(data, 'no-dir', 'x.json')], env), /^cannot write .*x\.json: /);
    expectOneLineError(await cli(['export-configs'], { ...env, MONGODB_URI: 'mongodb://127.0.0.1:1' }), /^cannot open the store \(MongoDB at 127\.0\.0\.1:1, database lite_proxy\): /);
    const sqlite = `sqlite:${join(data, 'lite-proxy.sqlite')}`;
    expectOneLineError(await cli(['migrate', '--from', sqlite, '--to', `sqlite:${data}/../${data.split('/').at(-1)}/lite-proxy.sqlite`]), /^--from and --to name the same store$/);
    expectOneLineError(await cli(['migrate', '--from', `sqlite:${join(data, 'none.sqlite')}`, '--to', `sqlite:${join(data, 'b.sqlite')}`]), /^no SQLite database at .*none\.sqlite$/);
    expectOneLineError(await cli(['migrate', '--from', sqlite]), /^migrate needs --from <store> and --to <store>$/);
    await withSqlite(join(data, 'empty.sqlite'), async () => {});
    expectOneLineError(await cli(['migrate', '--from', `sqlite:${join(data, 'empty.sqlite')}`, '--to', `sqlite:${join(data, 'b.sqlite')}`]), /empty\.sqlite holds no configs and no log entries: nothing to migrate/);
    expectOneLineError(await cli(['migrate', '--from', sqlite, '--to', 'postgres://x']), /^"postgres:\/\/x" is not a store: use sqlite:<path> or a mongodb:\/\/ URI$/);
    expectOneLineError(await cli(['migrate', '--from', sqlite, '--to', `sqlite:${join(data, 'b.sqlite')}`, '--batch-size', '0']), /^--batch-size must be a whole number above 0/);
    // Nothing was changed by any of it.
    expect(await withSqlite(join(data, 'lite-proxy.sqlite'), (s) => s.listConfigs())).toEqual([CONFIGS[0]!]);
    expect(existsSync(join(data, 'b.sqlite'))).toBe(false);
  }, 60_000);
});

describe('cli: export-configs and import-configs', () => {
  test('a round trip through files; keys only in the --with-keys file, never on the terminal', async () => {
    const from = dir();
    const to = dir();
    await withSqlite(join(from, 'lite-proxy.sqlite'), async (s) => {
      for (const c of CONFIGS) await s.insertConfig(c);
    });
    const plainFile = join(from, 'configs.json');
    const keysFile = join(from, 'configs-with-keys.json');
    const runs: CliRun[] = [];
    const run = async (args: string[], dataDir: string) => {
      const r = await cli(args, { DATA_DIR: dataDir });
      runs.push(r);
      return r;
    };

    const toStdout = await run(['export-configs'], from);
    expect(toStdout.code).toBe(0);
    const plain = JSON.parse(toStdout.stdout);
    expect(plain).toEqual({
      format: 'lite-proxy-configs', version: 1, exportedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/), groups: [],
      configs: CONFIGS.map(({ id: _i, createdAt: _c, updatedAt: _u, apiKey: _k, ...rest }) => rest),
    });
    const toFile = await run(['export-configs', '--out', plainFile], from);
    expect(toFile.code).toBe(0);
    expect(toFile.stdout).toBe('');
    expect(toFile.stderr.trim()).toBe(`3 configs written to ${plainFile} (backend keys left out)`);
    expect({ ...JSON.parse(readFileSync(plainFile, 'utf8')), exportedAt: null }).toEqual({ ...plain, exportedAt: null });

    const withKeys = await run(['export-configs', '--with-keys', '--out', keysFile], from);
    expect(withKeys.code).toBe(0);
    expect(JSON.parse(readFileSync(keysFile, 'utf8')).configs.map((c: { apiKey: string | null }) => c.apiKey)).toEqual([...KEYS, null]);
    expect(statSync(keysFile).mode & 0o777).toBe(0o600);

    const first = await run(['import-configs', keysFile], to);
    expect(first.code).toBe(0);
    expect(first.stdout).toStartWith('created 3, updated 0, unchanged 0, deleted 0 (SQLite at ');
    const strip = (rows: ConfigRow[]) => rows.map(({ id: _i, createdAt: _c, updatedAt: _u, ...rest }) => rest);
    const imported = await withSqlite(join(to, 'lite-proxy.sqlite'), (s) => s.listConfigs());
    // Stored sealed (the import made the target's secret key); opened, they are the originals.
    const box = loadSecretKey({ fromEnv: null, dataDir: to, create: false })!.box;
    expect(imported.every((c) => c.apiKey === null || c.apiKey.startsWith('lp-sealed:v1:'))).toBe(true);
    expect(strip(imported.map((c) => ({ ...c, apiKey: c.apiKey && box.open(c.apiKey) })))).toEqual(strip(CONFIGS));

    const again = await run(['import-configs', plainFile], to);
    expect(again.stdout).toStartWith('created 0, updated 0, unchanged 3, deleted 0');
    expect(await withSqlite(join(to, 'lite-proxy.sqlite'), (s) => s.listConfigs())).toEqual(imported);

    const onlyAlpha = join(to, 'alpha.json');
    writeFileSync(onlyAlpha, JSON.stringify({ ...plain, configs: [{ ...plain.configs[0], backendModelName: 'gpt-4.1' }] }));
    const replaced = await run(['import-configs', onlyAlpha, '--replace'], to);
    expect(replaced.stdout).toStartWith('created 0, updated 1, unchanged 0, deleted 2');
    const left = (await withSqlite(join(to, 'lite-proxy.sqlite'), (s) => s.listConfigs())).map((c) => ({ ...c, apiKey: c.apiKey && box.open(c.apiKey) }));
    expect(strip(left)).toEqual([{ ...strip(CONFIGS)[0]!, backendModelName: 'gpt-4.1' }]);

    for (const r of runs) for (const key of KEYS) expect(r.stdout + r.stderr).not.toContain(key);
  }, 30_000);

  test('a server running on the same SQLite store routes an imported model within a few seconds', async () => {
    const dataDir = dir();
    const server = await startServer({ env: { DATA_DIR: dataDir, ADMIN_TOKEN: 'cli-test-token-0123456789' } });
    try {
      const models = async () => ((await (await fetch(`${server.url}/v1/models`)).json()) as { data: { id: string }[] }).data.map((m) => m.id);
      expect(await models()).toEqual([]);
      const file = join(dataDir, 'import.json');
      writeFileSync(file, JSON.stringify({ format: 'lite-proxy-configs', version: 1, configs: [{ proxyModelName: 'live-import', baseUrl: 'http://127.0.0.1:9/v1', backendModelName: 'x' }] }));
      const run = await cli(['import-configs', file], { DATA_DIR: dataDir });
      expect(run.code).toBe(0);
      expect(run.stdout).toContain('within 5 seconds');
      const deadline = Date.now() + 8_000;
      while (!(await models()).includes('live-import') && Date.now() < deadline) await Bun.sleep(200);
      expect(await models()).toEqual(['live-import']);
    } finally {
      await server.stop();
    }
  }, 30_000);
});

describe('cli: migrate', () => {
  test('sqlite to sqlite: configs, logs and rollups arrive whole; a rerun doubles nothing', async () => {
    const a = join(dir(), 'source.sqlite');
    const b = join(dir(), 'target.sqlite');
    const logs = makeLogs(1_234);
    await withSqlite(a, (s) => seed(s, logs));
    // The target already has one of the configs, in an older state: migrate updates it.
    await withSqlite(b, (s) => s.insertConfig({ ...CONFIGS[1]!, backendModelName: 'old', enabled: true }));

    const run = await cli(['migrate', '--from', `sqlite:${a}`, '--to', `sqlite:${b}`, '--batch-size', '100']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('configs: 2 created, 1 updated');
    expect(run.stdout).toContain('logs: 1234 of 1234 copied');
    expect(run.stdout).toMatch(/rollups: \d+ hourly, \d+ per-minute; per client key [1-9]\d* hourly and all-time, [1-9]\d* per-minute/);
    expect(run.stdout).toContain('client keys: 1 created, 0 updated');
    expect(run.stdout).toContain('model groups: 1 copied');
    expect(run.stdout).toContain('done: 1234 log entries and 3 configs on both sides');
    const source = await withSqlite(a, contents);
    expect(source.rollups.length).toBeGreaterThan(100);
    expect(await withSqlite(b, contents)).toEqual(source);
    // The checkpoint (next to the target by default) is gone once the logs are copied.
    expect(await Array.fromAsync(new Bun.Glob('.lite-proxy-migrate-*').scan({ cwd: dirname(b), dot: true }))).toEqual([]);

    const rerun = await cli(['migrate', '--from', `sqlite:${a}`, '--to', `sqlite:${b}`]);
    expect(rerun.code).toBe(0);
    expect(rerun.stdout).toContain('configs: 0 created, 3 updated');
    expect(await withSqlite(b, contents)).toEqual(source);
  }, 60_000);

  test('an interrupted migration continues from its checkpoint', async () => {
    const work = dir();
    const a = join(work, 'source.sqlite');
    const b = join(work, 'target.sqlite');
    const checkpoint = join(work, 'checkpoint.json');
    const logs = makeLogs(250);
    await withSqlite(a, (s) => seed(s, logs));
    const args = ['migrate', '--from', `sqlite:${a}`, '--to', `sqlite:${b}`, '--batch-size', '20', '--checkpoint', checkpoint];

    const stopped = await cli([...args, '--max-batches', '3']);
    expect(stopped.code).toBe(2);
    expect(stopped.stderr.trim()).toBe('stopped after --max-batches: 60 of 250 log entries copied; run the same command again to continue');
    expect(JSON.parse(readFileSync(checkpoint, 'utf8'))).toMatchObject({ copied: 60, after: { id: 'log-00190' } });
    expect(await withSqlite(b, (s) => s.countLogs({}))).toBe(60);

    // Take the newest entry (copied by the first batch) out of the target: a run that resumes does not copy it
    // again, so the counts differ at the end, which proves the first 60 were skipped.
    await withSqlite(b, (s) => s.deleteLogs({ from: logs.at(-1)!.timestamp }, 1));
    const resumed = await cli(args);
    expect(resumed.stdout).toContain(`logs: resuming after 60 entries (checkpoint ${checkpoint})`);
    expect(resumed.stdout).toContain('logs: 250 of 250 copied');
    expectOneLineError(resumed, /^counts differ after copying: logs 250 in the source, 249 in the target; configs 3 and 3/);
    expect(existsSync(checkpoint)).toBe(false);

    // Without a checkpoint the next run copies everything again; rows already there are skipped.
    const full = await cli(args);
    expect(full.code).toBe(0);
    expect(full.stdout).not.toContain('resuming');
    expect(await withSqlite(b, contents)).toEqual(await withSqlite(a, contents));

    writeFileSync(checkpoint, '{"from": "somewhere else"');
    expectOneLineError(await cli(args), /^checkpoint .*checkpoint\.json is unreadable \(.*\); delete it to start over$/);
    writeFileSync(checkpoint, JSON.stringify({ from: 'sqlite:/elsewhere', to: 'sqlite:/other', copied: 1, after: { timestamp: at(0).toISOString(), id: 'x' } }));
    expectOneLineError(await cli(args), /^checkpoint .*checkpoint\.json is not one of this migration; delete it to start over$/);
  }, 60_000);

  test.skipIf(!process.env.MONGODB_URI)('sqlite to mongodb and back: everything arrives whole', async () => {
    const { MongoClient } = await import('mongodb');
    const base = process.env.MONGODB_URI!.replace(/\/+$/, '');
    const database = `lp_cli_${Date.now()}_${Math.random().toString(36).slice(2, 8)}`;
    const work = dir();
    const a = join(work, 'source.sqlite');
    const c = join(work, 'back.sqlite');
    const logs = makeLogs(150);
    await withSqlite(a, (s) => seed(s, logs));
    try {
      const there = await cli(['migrate', '--from', `sqlite:${a}`, '--to', `${base}/${database}`, '--batch-size', '50', '--checkpoint', join(work, 'cp1.json')]);
      expect(there.stderr).toBe('');
      expect(there.code).toBe(0);
      expect(there.stdout).toContain(`→ ${base}/${database}`);
      expect(there.stdout).toContain('done: 150 log entries and 3 configs on both sides');
      // export-configs reads the configured MongoDB store, as the server would.
      const exported = await cli(['export-configs'], { MONGODB_URI: base, DATABASE_NAME: database });
      expect(exported.code).toBe(0);
      expect(JSON.parse(exported.stdout).configs.map((x: { proxyModelName: string }) => x.proxyModelName)).toEqual(['alpha', 'beta', 'beta']);

      const back = await cli(['migrate', '--from', `${base}/${database}`, '--to', `sqlite:${c}`, '--batch-size', '40']);
      expect(back.stderr).toBe('');
      expect(back.code).toBe(0);
      expect(await withSqlite(c, contents)).toEqual(await withSqlite(a, contents));
      expect(existsSync(join(work, 'cp1.json'))).toBe(false);
    } finally {
      const client = new MongoClient(process.env.MONGODB_URI!);
      await client.db(database).dropDatabase().catch(() => {});
      await client.close();
    }
  }, 120_000);
});
