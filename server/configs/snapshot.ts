/**
 * The last configs this server saw, kept in DATA_DIR (readable by its owner only: it holds backend
 * keys), so that a server whose MongoDB is unreachable at start still routes as it did.
 * Rewritten (to a temporary file, then renamed) only when the configs changed.
 */
import { chmodSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { ConfigRow } from '../store/types.ts';

export class ConfigSnapshot {
  private last: string | null = null;

  constructor(readonly path: string) {}

  save(rows: readonly ConfigRow[]): void {
    const body = JSON.stringify(rows);
    if (body === this.last) return;
    try {
      const tmp = `${this.path}.tmp`;
      writeFileSync(tmp, `{"savedAt":${JSON.stringify(new Date().toISOString())},"configs":${body}}`, { mode: 0o600 });
      chmodSync(tmp, 0o600);
      renameSync(tmp, this.path);
      this.last = body;
    } catch (err) {
      console.error(`[configs] could not keep the last known configs in ${this.path}: ${String(err)}`);
    }
  }

  /** The configs kept, with their dates; null when there is no (readable) snapshot. */
  load(): { configs: ConfigRow[]; savedAt: string } | null {
    try {
      const data = JSON.parse(readFileSync(this.path, 'utf8')) as { savedAt: string; configs: (ConfigRow & { createdAt: string; updatedAt: string })[] };
      if (!Array.isArray(data.configs)) return null;
      const configs = data.configs.map((c) => ({ ...c, createdAt: new Date(c.createdAt), updatedAt: new Date(c.updatedAt) }));
      return { configs, savedAt: data.savedAt };
    } catch {
      return null;
    }
  }
}
