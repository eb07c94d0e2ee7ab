# Lite Proxy: `docker build -t lite-proxy .`, then see the README's "Docker" section.
# The Bun version is the one package.json pins (packageManager); tests/container.test.ts checks it.

# Production dependencies only: what the server imports at run time.
FROM oven/bun:1.4.5-slim AS deps
WORKDIR /app
COPY package.json bun.lock ./
RUN bun install --frozen-lockfile --production

# Every dependency, to build the admin client (Vite) into client/dist.
FROM oven/bun:1.4.5-slim AS build
WORKDIR /app
COPY package.json bun.lock ./
RUN bun install --frozen-lockfile
COPY client ./client
RUN bun run build

# What runs: no tests, no benchmark, no dev dependencies, no Vite.
FROM oven/bun:1.4.5-slim AS runtime
WORKDIR /app
# BUN_CONFIG_MAX_HTTP_REQUESTS is read by Bun itself at start: it is what `bun run server` sets, here
# in the environment so that the CMD can start the server directly (PID 1, signals reach it).
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=8000 \
    DATA_DIR=/data \
    BUN_CONFIG_MAX_HTTP_REQUESTS=16384
COPY --from=deps /app/node_modules ./node_modules
COPY package.json bun.lock schema.graphql ./
COPY server ./server
COPY --from=build /app/client/dist ./client/dist
# The code stays root's and read-only; only the data directory belongs to the user that runs.
RUN mkdir -p /data && chown bun:bun /data
VOLUME /data
USER bun
EXPOSE 8000
# No curl or wget in the image: Bun asks /health itself.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["bun", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 8000) + '/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["bun", "server/main.ts"]
