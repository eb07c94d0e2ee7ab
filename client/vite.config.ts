import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import solid from 'vite-plugin-solid';

// Built into client/dist, which the server serves with @elysiajs/static.
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  plugins: [solid()],
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022' },
  server: { proxy: { '/graphql': 'http://localhost:8000', '/v1': 'http://localhost:8000', '/health': 'http://localhost:8000', '/export': 'http://localhost:8000' } },
});
