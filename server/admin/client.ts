/**
 * The admin client (client/, built by Vite into client/dist) served by the same server: hashed
 * assets through @elysiajs/static, and index.html for every page of the single-page app.
 */
import { staticPlugin } from '@elysiajs/static';
import { Elysia } from 'elysia';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { securityHeaders } from './security-headers.ts';

export const CLIENT_DIST = join(import.meta.dir, '../../client/dist');

/** Paths the client routes itself; each answers with index.html. */
const PAGES = ['/', '/models', '/keys', '/logs', '/chat'];

export function isClientBuilt(distDir = CLIENT_DIST): boolean {
  return existsSync(join(distDir, 'index.html'));
}

/** Builds the client when no build exists, so that `bun run server` alone serves it. */
export function ensureClientBuilt(distDir = CLIENT_DIST): boolean {
  if (isClientBuilt(distDir)) return true;
  console.log('Building the admin client (first start)…');
  const build = Bun.spawnSync([process.execPath, 'run', 'build'], { cwd: join(import.meta.dir, '../..'), stdout: 'inherit', stderr: 'inherit' });
  return build.exitCode === 0 && isClientBuilt(distDir);
}

export function adminClient(distDir = CLIENT_DIST) {
  const app = new Elysia({ name: 'admin-client' });
  const index = join(distDir, 'index.html');
  if (!isClientBuilt(distDir)) {
    const missing = () => new Response('The admin client is not built: run `bun run build`.', { status: 503, headers: { 'content-type': 'text/plain; charset=utf-8' } });
    for (const page of PAGES) app.get(page, missing);
    return app;
  }
  // The page is small and changes with each build: never cached, so a new build shows at once.
  const page = () => new Response(Bun.file(index), { headers: { ...securityHeaders(), 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-cache' } });
  for (const path of PAGES) app.get(path, page);
  // Asset names carry a content hash, so they may be cached for good.
  return app.use(staticPlugin({ assets: join(distDir, 'assets'), prefix: '/assets', directive: 'immutable', maxAge: 31_536_000, headers: securityHeaders() }));
}
