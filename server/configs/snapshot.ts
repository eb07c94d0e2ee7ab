/**
 * The last configs (and model group settings) this server saw, kept in DATA_DIR (readable by its
 * owner only), so that a server whose MongoDB is unreachable at start still routes as it did. Their backend keys are sealed as in
 * the store (store/secret-box.ts). Rewritten (to a temporary file, then renamed) only when the
 * configs changed.
 */
import { chmodSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { type SecretBox, SecretMismatchError } from '../store/secret-box.ts';
import type { ConfigRow, ModelGroupRow } from '../store/types.ts';

export class ConfigSnapshot {
  private last: string | null = null;

  constructor(readonly path: string, private readonly box: SecretBox | null = null) {}

  save(rows: readonly ConfigRow[], groups: readonly ModelGroupRow[] = []): void {
    // Compared in the clear (a seal differs every time), written sealed.
    const plain = JSON.stringify(rows);
    const groupsText = JSON.stringify(groups);
    const seen = `${plain}\n${groupsText}`;
    if (seen === this.last) return;
    const box = this.box;
    const body = box ? JSON.stringify(rows.map((r) => (r.apiKey ? { ...r, apiKey: box.seal(r.apiKey) } : r))) : plain;
    try {
      const tmp = `${this.path}.tmp`;
      writeFileSync(tmp, `{"savedAt":${JSON.stringify(new Date().toISOString())},"configs":${body},"groups":${groupsText}}`, { mode: 0o600 });
      chmodSync(tmp, 0o600);
      renameSync(tmp, this.path);
      this.last = seen;
    } catch (err) {
      console.error(`[configs] could not keep the last known configs in ${this.path}: ${String(err)}`);
    }
  }

  /** The configs kept, with their dates; null when there is no (readable) snapshot. A 0.1.0 snapshot has no groups. */
  load(): { configs: ConfigRow[]; groups: ModelGroupRow[]; savedAt: string } | null {
    try {
      const data = JSON.parse(readFileSync(this.path, 'utf8')) as {
        savedAt: string; configs: (ConfigRow & { createdAt: string; updatedAt: string })[]; groups?: (ModelGroupRow & { updatedAt: string })[];
      };
      if (!Array.isArray(data.configs)) return null;
      const configs = data.configs.map((c) => this.opened({ ...c, createdAt: new Date(c.createdAt), updatedAt: new Date(c.updatedAt) }));
      const groups = Array.isArray(data.groups) ? data.groups.map((g) => ({ ...g, updatedAt: new Date(g.updatedAt) })) : [];
      return { configs, groups, savedAt: data.savedAt };
    } catch {
      return null;
    }
  }

  private opened(row: ConfigRow): ConfigRow {
    if (!this.box || !row.apiKey) return row;
    try {
      return { ...row, apiKey: this.box.open(row.apiKey) };
    } catch (err) {
      if (!(err instanceof SecretMismatchError)) throw err;
      return { ...row, apiKey: null, apiKeyUnreadable: err.message };
    }
  }
}
