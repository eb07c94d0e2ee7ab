/**
 * The container files without a Docker engine: Dockerfile and docker-compose.yml pass their linters
 * and agree with the server's settings, and the Dockerfile's stages are replayed in a clean copy of
 * the repository (its COPY and RUN lines, in order, each stage in a directory of its own) before the
 * image's CMD starts the server and its HEALTHCHECK asks /health.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { DCLinter } from 'dclint';
import { DockerfileParser, type Copy, type Env, type From, type Instruction } from 'dockerfile-ast';
import { validate, ValidationSeverity } from 'dockerfile-utils';
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, posix } from 'node:path';
import { loadSettings } from '../server/settings.ts';
import { freePort, REPO_ROOT } from './helpers/server-process.ts';

const read = (file: string) => readFileSync(join(REPO_ROOT, file), 'utf8');
const pkg = JSON.parse(read('package.json')) as { version: string; packageManager: string; devDependencies: Record<string, string> };
const dockerfile = DockerfileParser.parse(read('Dockerfile'));

/** Every variable loadSettings reads, recorded as it reads them. */
const SETTINGS = new Set<string>();
loadSettings(new Proxy({}, {
  get(_, key) {
    if (typeof key === 'string') SETTINGS.add(key);
    return undefined;
  },
}));

// ---- the Dockerfile as data ----

interface Stage {
  name: string;
  /** This stage's filesystem root, when replayed. */
  root: string;
  workdir: string;
  env: Record<string, string>;
  user: string;
  instructions: Instruction[];
}

function stagesOf(rootDir: string): Stage[] {
  const stages: Stage[] = [];
  for (const ins of dockerfile.getInstructions()) {
    if (ins.getKeyword() === 'FROM') {
      const name = (ins as From).getBuildStage() ?? String(stages.length);
      stages.push({ name, root: join(rootDir, name), workdir: '/', env: {}, user: 'root', instructions: [] });
      continue;
    }
    const stage = stages.at(-1)!;
    stage.instructions.push(ins);
    const args = ins.getArguments().map((a) => a.getValue());
    if (ins.getKeyword() === 'WORKDIR') stage.workdir = posix.resolve(stage.workdir, args[0]!);
    if (ins.getKeyword() === 'USER') stage.user = args[0]!;
    if (ins.getKeyword() === 'ENV') for (const p of (ins as Env).getProperties()) stage.env[p.getName()] = p.getValue() ?? '';
  }
  return stages;
}

const FINAL = stagesOf('/').at(-1)!;
const argsOf = (keyword: string) => FINAL.instructions.filter((i) => i.getKeyword() === keyword).map((i) => i.getArguments().map((a) => a.getValue()));
/** CMD and HEALTHCHECK in exec form: the JSON array after the keyword (and after "CMD" for HEALTHCHECK). */
function execForm(keyword: 'CMD' | 'HEALTHCHECK'): string[] {
  const ins = FINAL.instructions.findLast((i) => i.getKeyword() === keyword);
  const content = ins?.getArgumentsContent()?.replace(/^CMD\s+/, '') ?? '';
  if (!content.startsWith('[')) throw new Error(`${keyword} must be in exec form (a JSON array), got: ${content}`);
  return JSON.parse(content) as string[];
}

// ---- docker-compose.yml and .env.example as data ----

interface ComposeService {
  image?: string;
  build?: string | { context: string };
  pull_policy?: string;
  environment?: Record<string, string> | string[];
  env_file?: (string | { path: string })[];
  ports?: string[];
  volumes?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
  stop_grace_period?: string;
}
const compose = Bun.YAML.parse(read('docker-compose.yml')) as {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
  version?: unknown;
};
const api = compose.services['proxy-api']!;
const db = compose.services['proxy-db']!;

function environmentOf(service: ComposeService): Record<string, string> {
  const env = service.environment ?? {};
  if (!Array.isArray(env)) return env;
  return Object.fromEntries(env.map((line) => [line.split('=')[0]!, line.slice(line.indexOf('=') + 1)]));
}

/** Names in .env.example, set (`NAME=`) or commented out (`# NAME=`). */
const envExample = read('.env.example');
const exampleNames = [...envExample.matchAll(/^#?\s*([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]!);

// ---- .dockerignore, as Docker reads it: the last matching line wins; "!" keeps ----

function dockerignore(text: string): (path: string) => boolean {
  const rules = text.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#')).map((line) => {
    const keep = line.startsWith('!');
    const pattern = (keep ? line.slice(1) : line).replace(/^\/+|\/+$/g, '');
    let re = '';
    for (let i = 0; i < pattern.length; i++) {
      if (pattern.startsWith('**/', i)) {
        re += '(?:.*/)?';
        i += 2;
      } else if (pattern.startsWith('**', i)) {
        re += '.*';
        i += 1;
      } else if (pattern[i] === '*') re += '[^/]*';
      else if (pattern[i] === '?') re += '[^/]';
      else re += pattern[i]!.replace(/[.+^${}()|[\]\\]/g, '\\$&');
    }
    // A directory's pattern covers everything in it.
    return { keep, re: new RegExp(`^${re}(?:/.*)?$`) };
  });
  return (path) => rules.reduce((ignored, rule) => (rule.re.test(path) ? !rule.keep : ignored), false);
}
const ignored = dockerignore(read('.dockerignore'));

describe('the linters', () => {
  test('dclint finds nothing in docker-compose.yml', () => {
    const linter = new DCLinter({ rules: {}, quiet: false, debug: false, exclude: [] });
    const [result] = linter.lintFiles([join(REPO_ROOT, 'docker-compose.yml')], false);
    expect(result!.messages.map((m) => `line ${m.line}: ${m.type} ${m.rule}: ${m.message}`)).toEqual([]);
  });

  test('dockerfile-utils finds nothing in the Dockerfile, with every optional check an error', () => {
    const E = ValidationSeverity.ERROR;
    const findings = validate(read('Dockerfile'), {
      deprecatedMaintainer: E, directiveCasing: E, emptyContinuationLine: E, instructionCasing: E, instructionCmdMultiple: E,
      instructionEntrypointMultiple: E, instructionHealthcheckMultiple: E, instructionJSONInSingleQuotes: E, instructionWorkdirRelative: E,
    });
    expect(findings.map((d) => `line ${d.range.start.line + 1}: ${d.message}`)).toEqual([]);
  });
});

describe('the Dockerfile', () => {
  test('every stage is the official Bun image at the version package.json pins', () => {
    const bun = pkg.packageManager.replace(/^bun@/, '');
    for (const from of dockerfile.getFROMs()) {
      expect(from.getImageName()).toBe('oven/bun');
      expect(from.getImageTag()).toMatch(new RegExp(`^${bun.replaceAll('.', '\\.')}(-[a-z]+)?$`));
    }
  });

  test('the last stage runs as a non-root user, on the port it exposes, with valid settings', () => {
    expect(['', 'root', '0']).not.toContain(FINAL.user);
    expect(FINAL.env).toMatchObject({ HOST: '0.0.0.0', PORT: '8000', DATA_DIR: '/data' });
    expect(argsOf('EXPOSE').flat()).toEqual([FINAL.env.PORT!]);
    expect(argsOf('VOLUME').flat()).toEqual([FINAL.env.DATA_DIR!]);
    // NODE_ENV is for the libraries (e.g. @elysiajs/static serves prebuilt routes); the rest are ours.
    for (const name of Object.keys(FINAL.env)) expect([...SETTINGS, 'NODE_ENV']).toContain(name);
    expect(() => loadSettings(FINAL.env)).not.toThrow();
  });

  test('the data volume is made over to that user before it is declared', () => {
    const setup = FINAL.instructions.filter((i) => i.getKeyword() === 'RUN').map((i) => i.getArgumentsContent() ?? '');
    expect(setup.some((cmd) => cmd.includes(`chown ${FINAL.user}`) && cmd.includes(FINAL.env.DATA_DIR!))).toBe(true);
  });

  test('CMD keeps the raised fetch concurrency that `bun run server` sets', () => {
    const cmd = execForm('CMD');
    if (cmd.join(' ') !== 'bun run server') {
      expect(cmd).toEqual(['bun', 'server/main.ts']);
      expect(Number(FINAL.env.BUN_CONFIG_MAX_HTTP_REQUESTS)).toBeGreaterThanOrEqual(16384);
    }
  });

  test('HEALTHCHECK asks /health with Bun itself (the image has no curl or wget)', () => {
    const check = execForm('HEALTHCHECK');
    expect(check[0]).toBe('bun');
    expect(check.join(' ')).toContain('/health');
  });

  test('.dockerignore keeps local state, builds, secrets and tests out of the context', () => {
    for (const path of ['node_modules/x', 'client/node_modules/x', 'client/dist/index.html', 'data/lite-proxy.sqlite', 'test-output/a.png',
      '.git/HEAD', '.env', '.env.local', 'bench/results/2026-11-27.json', 'tests/container.test.ts']) expect([path, ignored(path)]).toEqual([path, true]);
    for (const path of ['package.json', 'bun.lock', 'schema.graphql', 'server/main.ts', 'client/index.html', 'client/src/main.tsx', '.env.example']) {
      expect([path, ignored(path)]).toEqual([path, false]);
    }
  });
});

describe('docker-compose.yml agrees with the Dockerfile and the server', () => {
  test('services proxy-api (built here, never pulled) and proxy-db (MongoDB); no obsolete version key', () => {
    expect(Object.keys(compose.services)).toEqual(['proxy-api', 'proxy-db']);
    expect(compose.version).toBeUndefined();
    expect(api.build).toBe('.');
    expect(api.pull_policy).toBe('build');
    expect(api.image).toBe(`lite-proxy:${pkg.version}`);
    expect(db.image).toMatch(/^mongo:\d+$/);
  });

  test("proxy-api publishes the image's port, on this host's loopback only (/v1 has no client auth)", () => {
    expect(api.ports).toHaveLength(1);
    const [ip, host, container] = api.ports![0]!.split(':');
    expect({ ip, host, container }).toEqual({ ip: '127.0.0.1', host: FINAL.env.PORT, container: FINAL.env.PORT });
  });

  test('every variable compose sets is a setting; MongoDB is proxy-db; ADMIN_TOKEN is required', () => {
    const env = environmentOf(api);
    for (const name of Object.keys(env)) expect([...SETTINGS]).toContain(name);
    expect(new URL(env.MONGODB_URI!).hostname).toBe('proxy-db');
    expect(env.ADMIN_TOKEN).toMatch(/^\$\{ADMIN_TOKEN:\?.+\}$/);
    expect(() => loadSettings({ ...env, ADMIN_TOKEN: 'a'.repeat(16), DATABASE_NAME: 'lite_proxy' })).not.toThrow();
    expect(api.env_file?.map((f) => (typeof f === 'string' ? f : f.path))).toEqual(['.env']);
  });

  test('DATA_DIR and /data/db are named volumes; proxy-api waits for a healthy proxy-db', () => {
    const named = (service: ComposeService, target: string) => service.volumes?.find((v) => v.endsWith(`:${target}`))?.split(':')[0];
    expect(Object.keys(compose.volumes ?? {})).toEqual(expect.arrayContaining([named(api, FINAL.env.DATA_DIR!), named(db, '/data/db')]));
    expect(api.depends_on).toEqual({ 'proxy-db': { condition: 'service_healthy' } });
    expect(db.healthcheck?.test.slice(0, 2)).toEqual(['CMD', 'mongosh']);
    expect(db.healthcheck?.test.join(' ')).toContain("adminCommand('ping')");
    // proxy-api's is the image's HEALTHCHECK.
    expect(api.healthcheck).toBeUndefined();
  });

  test('compose waits longer than the shutdown grace period before it kills the server', () => {
    const seconds = Number(api.stop_grace_period?.replace(/s$/, ''));
    expect(seconds * 1000).toBeGreaterThan(loadSettings({}).shutdownGraceMs);
  });

  test('.env.example names ADMIN_TOKEN, says how to make one, and lists every other setting compose does not set', () => {
    expect(envExample).toMatch(/^ADMIN_TOKEN=$/m);
    expect(envExample).toContain('openssl rand');
    for (const name of exampleNames) expect([...SETTINGS]).toContain(name);
    const setElsewhere = new Set([...Object.keys(FINAL.env), 'MONGODB_URI']);
    const optional = [...SETTINGS].filter((name) => !setElsewhere.has(name) && name !== 'ADMIN_TOKEN');
    expect(exampleNames).toEqual(expect.arrayContaining(optional));
  });
});

// ---- the replay ----

/** A clean environment, as in a container: nothing of this test run (NODE_ENV=test, the raised fetch limit, ...) leaks in. */
function baseEnv(): Record<string, string> {
  const env: Record<string, string> = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', NO_COLOR: '1' };
  // How this machine reaches the package registry, if it is told by the environment.
  for (const [name, value] of Object.entries(process.env)) {
    if (value && /^(NPM_CONFIG_REGISTRY|BUN_CONFIG_REGISTRY|HTTPS?_PROXY|NO_PROXY|https?_proxy|no_proxy|SSL_CERT_FILE|SSL_CERT_DIR|NODE_EXTRA_CA_CERTS)$/.test(name)) env[name] = value;
  }
  return env;
}

/** The files Docker would send: tracked and new files (git's ignores applied), less .dockerignore's. */
function makeContext(dir: string) {
  const listed = Bun.spawnSync(['git', 'ls-files', '-co', '--exclude-standard', '-z'], { cwd: REPO_ROOT });
  if (listed.exitCode !== 0) throw new Error(`git ls-files failed: ${listed.stderr.toString()}`);
  for (const file of listed.stdout.toString().split('\0')) {
    if (!file || ignored(file) || !existsSync(join(REPO_ROOT, file))) continue;
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    copyFileSync(join(REPO_ROOT, file), join(dir, file));
  }
}

async function run(cmd: string[], opts: { cwd: string; env: Record<string, string> }) {
  const proc = Bun.spawn(cmd, { ...opts, stdin: 'ignore', stdout: 'pipe', stderr: 'pipe' });
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { code, output: `${out}${err}` };
}

/**
 * COPY and RUN of every stage, in order. `bun …` RUN lines run as written; any other RUN line must
 * only prepare the data volume (it needs root and /data, which a replay has not got).
 */
async function replay(context: string, rootDir: string): Promise<Stage> {
  const stages = stagesOf(rootDir);
  const inStage = (stage: Stage, path: string) => join(stage.root, posix.resolve(stage.workdir, path));
  for (const stage of stages) {
    const env: Record<string, string> = {};
    mkdirSync(inStage(stage, '.'), { recursive: true });
    for (const ins of stage.instructions) {
      if (ins.getKeyword() === 'ENV') for (const p of (ins as Env).getProperties()) env[p.getName()] = p.getValue() ?? '';
      if (ins.getKeyword() === 'COPY') {
        const from = (ins as Copy).getFromFlag()?.getValue();
        const source = from ? stages.find((s) => s.name === from) : undefined;
        if (from && !source) throw new Error(`COPY --from=${from}: no such stage`);
        const args = ins.getArguments().map((a) => a.getValue());
        const dest = args.at(-1)!;
        for (const src of args.slice(0, -1)) {
          const path = source ? inStage(source, src) : join(context, src);
          if (!existsSync(path)) throw new Error(`${ins.getRawArgumentsContent()}: ${src} is not there (.dockerignore?)`);
          const into = dest.endsWith('/') || args.length > 2 ? join(inStage(stage, dest), basename(src)) : inStage(stage, dest);
          cpSync(path, into, { recursive: true, verbatimSymlinks: true });
        }
      }
      if (ins.getKeyword() === 'RUN') {
        const cmd = ins.getArgumentsContent() ?? '';
        if (!/^bun\s/.test(cmd)) {
          if (!cmd.includes(env.DATA_DIR ?? '\0')) throw new Error(`cannot replay RUN ${cmd}`);
          continue;
        }
        const { code, output } = await run(['sh', '-c', cmd], { cwd: inStage(stage, '.'), env: { ...baseEnv(), ...env } });
        if (code !== 0) throw new Error(`stage ${stage.name}: RUN ${cmd} exited ${code}\n${output}`);
      }
    }
  }
  return stages.at(-1)!;
}

describe('the Dockerfile replayed outside a container', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'lite-proxy-container-'));
  let app = '';
  let final: Stage;
  const databases: string[] = [];

  beforeAll(async () => {
    makeContext(join(tmp, 'context'));
    final = await replay(join(tmp, 'context'), join(tmp, 'stages'));
    app = join(final.root, final.workdir);
  }, 120_000);

  afterAll(async () => {
    if (databases.length) {
      const { MongoClient } = await import('mongodb');
      const client = new MongoClient(process.env.MONGODB_URI!);
      for (const name of databases) await client.db(name).dropDatabase().catch(() => {});
      await client.close();
    }
    rmSync(tmp, { recursive: true, force: true });
  });

  test('the image holds what runs and nothing else: no tests, no bench, no dev dependencies, no Vite', () => {
    expect(readdirSync(app).sort()).toEqual(['bun.lock', 'client', 'node_modules', 'package.json', 'schema.graphql', 'server']);
    expect(readdirSync(join(app, 'client'))).toEqual(['dist']);
    expect(existsSync(join(app, 'client/dist/index.html'))).toBe(true);
    // typescript and @types/bun are elysia's optional peers, which Bun installs when the lockfile has them.
    const devOnly = Object.keys(pkg.devDependencies).filter((name) => !['typescript', '@types/bun'].includes(name));
    expect(devOnly).toContain('vite');
    for (const dev of devOnly) expect([dev, existsSync(join(app, 'node_modules', dev))]).toEqual([dev, false]);
    expect(existsSync(join(app, 'node_modules/elysia'))).toBe(true);
  });

  const kinds = process.env.MONGODB_URI ? (['sqlite', 'mongodb'] as const) : (['sqlite'] as const);
  for (const kind of kinds) {
    test(`CMD starts the server (${kind}); HEALTHCHECK passes; SIGTERM stops it cleanly`, async () => {
      const port = freePort();
      const env: Record<string, string> = {
        ...baseEnv(),
        ...final.env,
        HOST: '127.0.0.1',
        PORT: String(port),
        DATA_DIR: mkdtempSync(join(tmp, 'data-')),
        ADMIN_TOKEN: 'container-test-token-0123456789',
      };
      if (kind === 'mongodb') {
        env.MONGODB_URI = process.env.MONGODB_URI!;
        env.DATABASE_NAME = `lp_container_${Date.now()}`;
        databases.push(env.DATABASE_NAME);
      }
      const proc = Bun.spawn(execForm('CMD'), { cwd: app, env, stdin: 'ignore', stdout: 'pipe', stderr: 'pipe' });
      const output = Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text()]).then(([o, e]) => o + e);
      try {
        let health: Response | undefined;
        for (const deadline = Date.now() + 30_000; !health && Date.now() < deadline && proc.exitCode === null; await Bun.sleep(100)) {
          health = await fetch(`http://127.0.0.1:${port}/health`).catch(() => undefined);
        }
        if (!health) throw new Error(`/health never answered (exit code ${proc.exitCode})\n${proc.exitCode === null ? '' : await output}`);
        expect(health.status).toBe(200);
        expect(await health.json()).toMatchObject({ status: 'ok', store: { kind, ok: true } });

        // The admin page comes from client/dist as built in the image, its assets too.
        const page = await fetch(`http://127.0.0.1:${port}/`);
        expect(page.status).toBe(200);
        const asset = (await page.text()).match(/\/assets\/[^"']+\.js/)?.[0];
        expect(asset).toBeDefined();
        expect((await fetch(`http://127.0.0.1:${port}${asset}`)).status).toBe(200);

        const check = () => run(execForm('HEALTHCHECK'), { cwd: app, env });
        expect(await check()).toEqual({ code: 0, output: '' });

        proc.kill('SIGTERM');
        expect(await proc.exited).toBe(0);
        const out = await output;
        expect(out).toContain('SIGTERM');
        expect(out).toContain('stopped');
        expect(out).toContain(`backend requests: up to ${final.env.BUN_CONFIG_MAX_HTTP_REQUESTS ?? 16384} at once`);
        expect((await check()).code).not.toBe(0);
      } finally {
        proc.kill('SIGKILL');
      }
    }, 60_000);
  }
});
