/**
 * `bun run cli <command>`: export and import configs, migrate between stores. User mistakes (a
 * missing file, bad JSON, a bad entry, an unreachable store) end with one line on stderr and exit
 * code 1, never a stack trace. Backend keys are written only into the file `export-configs
 * --with-keys --out` names, never to the terminal.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { exportDocument, importConfigs } from '../configs/transfer.ts';
import { InputError } from '../errors.ts';
import { loadSettings, type Settings, SettingsError } from '../settings.ts';
import { createStore, describeStore, SQLITE_FILE } from '../store/index.ts';
import { isSealed, loadSecretKey, parseSecretKey, SecretBox, SecretMismatchError, writeSecretKeyFile } from '../store/secret-box.ts';
import type { Store } from '../store/types.ts';
import { CliError, defaultCheckpointPath, firstLine, migrate, parseStoreSpec, plural } from './migrate.ts';

export const USAGE = `Lite Proxy command line

Usage: bun run cli <command> [options]

  export-configs [--with-keys] [--out <file>]
      Writes every config as a JSON document, to stdout or to <file>. Backend keys are left out
      unless --with-keys is given, which needs --out: keys are never printed to the terminal.

  import-configs <file> [--replace]
      Imports a document written by export-configs. A config with the same proxyModelName and
      baseUrl as a stored one updates it (its key only when the file has an apiKey field; null
      clears it), the others are created; --replace also deletes stored configs the file does not
      have. A file with any bad entry is refused whole and changes nothing.

  migrate --from <store> --to <store> [--batch-size <n>] [--checkpoint <file>]
      Copies configs, log entries and dashboard rollups from one store to another, then compares
      the counts. <store> is sqlite:<path> or a MongoDB URI whose path names the database
      (mongodb://localhost:27017/lite_proxy; lite_proxy when it names none). Stop the server
      first. An interrupted run continues where it stopped (the checkpoint file, by default
      .lite-proxy-migrate-<hash>.json next to a SQLite target or in the working directory);
      repeating it copies nothing twice. --batch-size: log entries per batch (default 500; lower
      it when logged bodies are large, as a batch is held in memory).

  rotate-secret
      Re-seals every backend key under a new secret key and reports how many. Without SECRET_KEY
      the new key is generated into DATA_DIR/secret-key (the old one kept as secret-key.old); with
      SECRET_KEY set, give the new one as NEW_SECRET_KEY and set it as SECRET_KEY afterwards.
      Stop the server first, and start it again after.

  help
      Shows this text.

export-configs, import-configs and rotate-secret work on the store the server is configured with:
DATA_DIR, or MONGODB_URI and DATABASE_NAME, and SECRET_KEY, read from the environment as the server
reads them. migrate copies backend keys sealed as they are: run the server on the target with the
same secret key.
`;

const EXIT_STOPPED_EARLY = 2;

type Out = { out: (line: string) => void; err: (line: string) => void };

/**
 * The store the server is configured with, its schema brought to this release's version; what the
 * upgrade reports goes to stderr (stdout may be the exported document).
 */
async function openConfiguredStore(settings: Settings, opts: { mustExist: boolean; report: (line: string) => void; sealed?: boolean; writes?: boolean }): Promise<Store> {
  const where = describeStore(settings);
  if (!settings.mongodbUri && opts.mustExist && !existsSync(join(settings.dataDir, SQLITE_FILE))) {
    throw new CliError(`no database at ${join(settings.dataDir, SQLITE_FILE)}: set DATA_DIR (or MONGODB_URI) as for the server`);
  }
  // Reading needs the secret key only if there is one (no key, nothing sealed); writing makes one, as the server would.
  const secret = opts.sealed === false ? null : loadSecretKey({ fromEnv: settings.secretKey, dataDir: settings.dataDir, ...(opts.writes ? {} : { create: false as const }) });
  const store = await createStore(settings, secret?.box);
  try {
    await store.init({ report: opts.report });
  } catch (err) {
    await store.close().catch(() => {});
    throw new CliError(`cannot open the store (${where}): ${firstLine(err)}`);
  }
  return store;
}

async function exportConfigsCommand(args: string[], settings: Settings, io: Out): Promise<number> {
  const { values } = parseArgs({ args, options: { 'with-keys': { type: 'boolean' }, out: { type: 'string' } } });
  const withKeys = values['with-keys'] ?? false;
  if (withKeys && !values.out) throw new CliError('--with-keys needs --out <file>: keys are never printed to the terminal');
  const store = await openConfiguredStore(settings, { mustExist: true, report: io.err });
  try {
    const rows = await store.listConfigs();
    if (withKeys && rows.some((c) => c.apiKey !== null && isSealed(c.apiKey))) {
      throw new CliError('the backend keys are sealed, but there is no secret key to open them: set SECRET_KEY, or run where DATA_DIR/secret-key is');
    }
    const unreadable = rows.filter((c) => c.apiKeyUnreadable);
    if (withKeys && unreadable.length > 0) throw new CliError(`the backend key of config ${unreadable[0]!.id} cannot be read with this secret key (${unreadable[0]!.apiKeyUnreadable}); nothing was written`);
    const doc = exportDocument(rows, { withKeys, groups: await store.listModelGroups() });
    const text = `${JSON.stringify(doc, null, 2)}\n`;
    if (!values.out) {
      await Bun.write(Bun.stdout, text);
      return 0;
    }
    try {
      // It may hold keys: readable by its owner only, also when it existed before (narrowed before
      // anything is written to it).
      if (existsSync(values.out)) chmodSync(values.out, 0o600);
      writeFileSync(values.out, text, { mode: 0o600 });
    } catch (err) {
      throw new CliError(`cannot write ${values.out}: ${firstLine(err)}`);
    }
    io.err(`${plural(doc.configs.length, 'config', 'configs')} written to ${values.out} (${withKeys ? 'with backend keys: keep it private' : 'backend keys left out'})`);
    return 0;
  } finally {
    await store.close();
  }
}

function readJsonFile(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new CliError(code === 'ENOENT' ? `${file}: no such file` : `cannot read ${file}: ${firstLine(err)}`);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new CliError(`${file} is not JSON: ${firstLine(err)}`);
  }
}

async function importConfigsCommand(args: string[], settings: Settings, io: Out): Promise<number> {
  const { values, positionals } = parseArgs({ args, options: { replace: { type: 'boolean' } }, allowPositionals: true });
  if (positionals.length !== 1) throw new CliError('import-configs takes one file: bun run cli import-configs <file> [--replace]');
  const file = positionals[0]!;
  const document = readJsonFile(file);
  const store = await openConfiguredStore(settings, { mustExist: false, report: io.err, writes: true });
  try {
    const r = await importConfigs({ store }, document, { replace: values.replace ?? false }).catch((err: unknown) => {
      throw err instanceof InputError ? new CliError(`${file}: ${err.message}; nothing was imported`) : err;
    });
    io.out(`created ${r.created}, updated ${r.updated}, unchanged ${r.unchanged}, deleted ${r.deleted}${r.groups ? `, group settings ${r.groups}` : ''} (${describeStore(settings)})`);
    if (r.created + r.updated + r.deleted + r.groups > 0) {
      io.out('A running server picks the change up within 5 seconds.');
    }
    return 0;
  } finally {
    await store.close();
  }
}

async function rotateSecretCommand(settings: Settings, env: Record<string, string | undefined>, io: Out): Promise<number> {
  const current = loadSecretKey({ fromEnv: settings.secretKey, dataDir: settings.dataDir });
  let next: Buffer;
  if (current.source.kind === 'env') {
    if (!env.NEW_SECRET_KEY) throw new CliError('SECRET_KEY is set: give the new key as NEW_SECRET_KEY (e.g. `openssl rand -base64 32`), then set it as SECRET_KEY');
    try {
      next = parseSecretKey(env.NEW_SECRET_KEY);
    } catch (err) {
      throw new CliError(`NEW_SECRET_KEY: ${(err as Error).message.replace(/^SECRET_KEY /, '')}`);
    }
  } else next = randomBytes(32);
  const box = new SecretBox(next);
  if (box.keyId === current.box.keyId) throw new CliError('the new secret key is the current one');
  // The raw rows: their keys as stored, sealed under the current key (or plaintext from an older release).
  const store = await openConfiguredStore(settings, { mustExist: true, report: io.err, sealed: false });
  try {
    const update = [];
    for (const c of await store.listConfigs()) {
      if (c.apiKey === null || c.apiKey === '') continue;
      let plain: string;
      try {
        plain = current.box.open(c.apiKey);
      } catch (err) {
        if (err instanceof SecretMismatchError) throw new CliError(`the backend key of config ${c.id} (${c.proxyModelName}) cannot be read with the current secret key (${err.message}); nothing was changed`);
        throw err;
      }
      update.push({ id: c.id, patch: { apiKey: box.seal(plain), updatedAt: c.updatedAt } });
    }
    // The new key is on disk before anything is sealed under it.
    const pending = current.source.kind === 'file' ? `${current.source.path}.new` : null;
    if (pending) writeFileSync(pending, `${next.toString('base64')}\n`, { mode: 0o600 });
    await store.applyConfigChanges({ insert: [], update, remove: [] });
    if (pending) {
      const path = writeSecretKeyFile(settings.dataDir, next);
      await Bun.file(pending).delete();
      io.out(`re-sealed ${plural(update.length, 'backend key', 'backend keys')} under a new secret key (id ${box.keyId}), written to ${path}; the old one is kept in ${path}.old`);
    } else {
      io.out(`re-sealed ${plural(update.length, 'backend key', 'backend keys')} under NEW_SECRET_KEY (id ${box.keyId}): set SECRET_KEY to it before the server starts again`);
    }
    return 0;
  } finally {
    await store.close();
  }
}

async function migrateCommand(args: string[], io: Out): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      from: { type: 'string' }, to: { type: 'string' }, 'batch-size': { type: 'string' }, checkpoint: { type: 'string' },
      // For tests: stops after n log batches, as an interrupted run would.
      'max-batches': { type: 'string' },
    },
  });
  if (!values.from || !values.to) throw new CliError('migrate needs --from <store> and --to <store>');
  const count = (name: string, raw: string | undefined, fallback?: number) => {
    if (raw === undefined) return fallback;
    if (!/^\d+$/.test(raw) || Number(raw) < 1) throw new CliError(`--${name} must be a whole number above 0, got "${raw}"`);
    return Number(raw);
  };
  const from = parseStoreSpec(values.from);
  const to = parseStoreSpec(values.to);
  const checkpointPath = values.checkpoint ?? defaultCheckpointPath(from, to);
  const outcome = await migrate({
    from, to, checkpointPath, batchSize: count('batch-size', values['batch-size'], 500)!, maxBatches: count('max-batches', values['max-batches']), report: io.out,
  }).catch((err: unknown) => {
    if (err instanceof CliError) throw err;
    throw new CliError(`migration failed: ${firstLine(err)}; run the same command again to continue`);
  });
  if (outcome.done) return 0;
  io.err(`stopped after --max-batches: ${outcome.copied} of ${outcome.total} log entries copied; run the same command again to continue`);
  return EXIT_STOPPED_EARLY;
}

export async function runCli(argv: string[], env: Record<string, string | undefined>, io: Out): Promise<number> {
  const [command, ...args] = argv;
  try {
    switch (command) {
      case 'help': case '--help': case '-h':
        io.out(USAGE.trimEnd());
        return 0;
      case 'export-configs':
        return await exportConfigsCommand(args, loadSettings(env), io);
      case 'import-configs':
        return await importConfigsCommand(args, loadSettings(env), io);
      case 'migrate':
        return await migrateCommand(args, io);
      case 'rotate-secret':
        return await rotateSecretCommand(loadSettings(env), env, io);
      case undefined:
        io.err(USAGE.trimEnd());
        return 1;
      default:
        io.err(`unknown command "${command}"; \`bun run cli help\` lists them`);
        return 1;
    }
  } catch (err) {
    const known = err instanceof CliError || err instanceof InputError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
    const message = err instanceof SettingsError ? `Invalid setting: ${err.message}` : firstLine(err);
    io.err(known || err instanceof SettingsError ? message : `error: ${message}`);
    return 1;
  }
}

if (import.meta.main) {
  const code = await runCli(process.argv.slice(2), process.env, {
    out: (line) => console.log(line),
    err: (line) => console.error(line),
  });
  process.exit(code);
}
