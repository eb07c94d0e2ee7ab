/**
 * A store whose configs' backend keys are sealed at rest (secret-box.ts): every key is sealed on
 * its way in and opened on its way out, so the rest of the server sees plaintext and the store
 * (its files, WAL, documents, backups) never holds one. With `sealPlaintext` (the server), init()
 * seals once the plaintext keys an older release wrote; the CLI only reads them as they are. A key sealed under another secret key is reported and its config serves
 * nothing (`apiKeyUnreadable`), never a request with a wrong key.
 */
import { isSealed, type SecretBox, SecretMismatchError } from './secret-box.ts';
import type { ConfigChanges, ConfigPatch, ConfigRow, Store } from './types.ts';

export function sealedStore(store: Store, box: SecretBox, opts: { sealPlaintext?: boolean; report?: (message: string) => void } = {}): Store {
  const report = opts.report ?? ((m: string) => console.error(m));
  const seal = (key: string | null) => (key === null || key === '' || isSealed(key) ? key : box.seal(key));
  const sealRow = (row: ConfigRow): ConfigRow => {
    const { apiKeyUnreadable: _, ...rest } = row;
    return { ...rest, apiKey: seal(row.apiKey) };
  };
  const sealPatch = (patch: ConfigPatch): ConfigPatch => ('apiKey' in patch ? { ...patch, apiKey: seal(patch.apiKey ?? null) } : patch);
  const reported = new Set<string>();
  const open = (row: ConfigRow): ConfigRow => {
    if (row.apiKey === null) return row;
    try {
      return { ...row, apiKey: box.open(row.apiKey) };
    } catch (err) {
      if (!(err instanceof SecretMismatchError)) throw err;
      if (!reported.has(row.id)) {
        reported.add(row.id);
        report(`[configs] the backend key of config ${row.id} (${row.proxyModelName}) cannot be read: ${err.message}. `
          + 'It serves nothing until the server runs with the SECRET_KEY (or DATA_DIR/secret-key) it was sealed with; or set a new key on the config.');
      }
      return { ...row, apiKey: null, apiKeyUnreadable: err.message };
    }
  };
  const wrapped: Partial<Store> = {
    async init(options) {
      await store.init(options);
      if (!opts.sealPlaintext) return;
      // Keys written in the clear (0.1.0, or a release before this one) are sealed, once.
      const plain = (await store.listConfigs()).filter((c) => c.apiKey !== null && c.apiKey !== '' && !isSealed(c.apiKey));
      for (const c of plain) await store.updateConfig(c.id, { apiKey: seal(c.apiKey), updatedAt: c.updatedAt });
      if (plain.length > 0) options?.report?.(`[configs] sealed the backend keys of ${plain.length} configs (AES-256-GCM, secret key ${box.keyId})`);
    },
    listConfigs: async () => (await store.listConfigs()).map(open),
    getConfig: async (id) => {
      const row = await store.getConfig(id);
      return row && open(row);
    },
    insertConfig: (row) => store.insertConfig(sealRow(row)),
    updateConfig: async (id, patch) => {
      const row = await store.updateConfig(id, sealPatch(patch));
      return row && open(row);
    },
    applyConfigChanges: (changes: ConfigChanges) => store.applyConfigChanges({
      insert: changes.insert.map(sealRow),
      update: changes.update.map((u) => ({ id: u.id, patch: sealPatch(u.patch) })),
      remove: changes.remove,
    }),
  };
  return new Proxy(store, {
    get(target, prop, receiver) {
      if (Object.hasOwn(wrapped, prop)) return wrapped[prop as keyof Store];
      const value = Reflect.get(target, prop, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
