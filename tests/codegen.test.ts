/**
 * The generated GraphQL types are committed (nothing is generated at build time), so they must match
 * schema.graphql and the client's operations. `graphql-codegen --check` generates in memory, writes
 * nothing, and exits 1 naming each output that differs from the file on disk. The first test runs it
 * on the repository; the others run it on a copy with a changed schema or operation, to show that
 * the check catches what it is for.
 */
import { afterAll, expect, test } from 'bun:test';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(import.meta.dir, '..');
const CLI = join(ROOT, 'node_modules/@graphql-codegen/cli/esm/bin.js');
const SERVER_TYPES = 'server/graphql/generated.ts';
const CLIENT_TYPES = 'client/src/graphql/generated.ts';
const TIMEOUT_MS = 20_000;

interface CheckRun {
  code: number;
  output: string;
}

/** `graphql-codegen --check` with the codegen.ts in `cwd`, run by Bun (no Node needed). */
async function check(cwd: string): Promise<CheckRun> {
  const proc = Bun.spawn([process.execPath, CLI, '--config', 'codegen.ts', '--check', '--errors-only'], {
    cwd,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', NO_COLOR: '1' },
    stdin: 'ignore', stdout: 'pipe', stderr: 'pipe',
  });
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  // Without a terminal, listr prints every step (❯ started, ✔ done) even with --errors-only: drop those.
  const output = `${stdout}${stderr}`.split('\n').filter((line) => !/^\s*[❯✔]/.test(line)).join('\n');
  return { code, output };
}

const copies: string[] = [];
afterAll(() => {
  for (const dir of copies) rmSync(dir, { recursive: true, force: true });
});

/** What codegen reads and compares, copied to a temp folder; node_modules is linked, not copied. */
function copyOfRepo(): string {
  const dir = mkdtempSync(join(tmpdir(), 'lite-proxy-codegen-'));
  copies.push(dir);
  for (const file of ['codegen.ts', 'schema.graphql', SERVER_TYPES]) {
    mkdirSync(join(dir, file, '..'), { recursive: true });
    cpSync(join(ROOT, file), join(dir, file));
  }
  cpSync(join(ROOT, 'client/src/graphql'), join(dir, 'client/src/graphql'), { recursive: true });
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
  return dir;
}

/** Replaces `from` by `to` in a copied file; fails if `from` is gone, so the test cannot pass vacuously. */
function edit(dir: string, file: string, from: string, to: string): void {
  const path = join(dir, file);
  const text = readFileSync(path, 'utf8');
  expect(text).toContain(from);
  writeFileSync(path, text.replace(from, to));
}

test('the committed generated types match schema.graphql and the operations (else run `bun run codegen`)', async () => {
  const run = await check(ROOT);
  if (run.code !== 0) throw new Error(`graphql-codegen --check failed; run \`bun run codegen\` and commit the result.\n${run.output}`);
}, TIMEOUT_MS);

test('a schema change without regeneration makes both outputs stale', async () => {
  const dir = copyOfRepo();
  expect((await check(dir)).code).toBe(0);
  // apiKeyPreview is in the server's ProxyConfig type and in the client's ProxyConfigFields fragment.
  edit(dir, 'schema.graphql', 'apiKeyPreview: String\n', 'apiKeyPreview: String!\n');
  const run = await check(dir);
  expect(run.code).toBe(1);
  expect(run.output).toContain(`- ${SERVER_TYPES}`);
  expect(run.output).toContain(`- ${CLIENT_TYPES}`);
}, TIMEOUT_MS);

test('an operation changed without regeneration makes the client output stale', async () => {
  const dir = copyOfRepo();
  edit(dir, 'client/src/graphql/operations.ts', 'timeoutMs updatedAt', 'timeoutMs createdAt updatedAt');
  const run = await check(dir);
  expect(run.code).toBe(1);
  expect(run.output).toContain(`- ${CLIENT_TYPES}`);
  expect(run.output).not.toContain(`- ${SERVER_TYPES}`);
}, TIMEOUT_MS);

test('an operation that does not match the schema fails codegen', async () => {
  const dir = copyOfRepo();
  edit(dir, 'client/src/graphql/operations.ts', 'timeoutMs updatedAt', 'timeoutMs updatedAtt');
  const run = await check(dir);
  expect(run.code).toBe(1);
  expect(run.output).toContain('Cannot query field "updatedAtt" on type "ProxyConfig"');
}, TIMEOUT_MS);
