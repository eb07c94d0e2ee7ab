/**
 * The admin token: ADMIN_TOKEN when set, else one generated on first start and kept in a file
 * in DATA_DIR that only its owner can read. The generated token is shown once, when it is made.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface AdminToken {
  token: string;
  /** Where it came from, for the start-up message. */
  source: { kind: 'env' } | { kind: 'file'; path: string; created: boolean };
}

export const TOKEN_FILE = 'admin-token';

export function loadAdminToken(opts: { fromEnv: string | null; dataDir: string }): AdminToken {
  if (opts.fromEnv) return { token: opts.fromEnv, source: { kind: 'env' } };
  const path = join(opts.dataDir, TOKEN_FILE);
  if (existsSync(path)) {
    const token = readFileSync(path, 'utf8').trim();
    if (token.length < 16) throw new Error(`${path} does not hold a valid admin token; delete it to have a new one generated`);
    return { token, source: { kind: 'file', path, created: false } };
  }
  mkdirSync(opts.dataDir, { recursive: true, mode: 0o700 });
  const token = `lp_admin_${randomBytes(24).toString('base64url')}`;
  // 'wx' fails if another process created the file in between; mode 0600 from the first byte.
  writeFileSync(path, `${token}\n`, { mode: 0o600, flag: 'wx' });
  chmodSync(path, 0o600);
  return { token, source: { kind: 'file', path, created: true } };
}
