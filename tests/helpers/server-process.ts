/**
 * Runs the real `bun server/main.ts` as a child process, with an environment built from scratch
 * (so a MONGODB_URI or ADMIN_TOKEN of the test run never leaks in), and collects its output.
 * Every process started here is remembered so that `killAll()` in afterAll ends it even when a
 * test failed half-way.
 */
import { join } from 'node:path';

export const REPO_ROOT = join(import.meta.dir, '../..');

const running = new Set<ServerProcess>();

/** A port that was free a moment ago: listen on port 0, note the port, close. */
export function freePort(): number {
  const probe = Bun.serve({ port: 0, hostname: '127.0.0.1', fetch: () => new Response() });
  const port = probe.port!;
  probe.stop(true);
  return port;
}

export interface ServerProcess {
  proc: Bun.Subprocess<'ignore', 'pipe', 'pipe'>;
  port: number;
  url: string;
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code. */
  exited: Promise<number>;
  /** Waits until stdout+stderr match; throws with everything seen on timeout or early exit. */
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<void>;
  /** Sends a signal and waits for the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number>;
}

/** `viaScript` starts it as the README does (`bun run server`, with the package script's environment). */
export function spawnServer(opts: { env: Record<string, string>; port?: number; viaScript?: boolean }): ServerProcess {
  const port = opts.port ?? freePort();
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? '/tmp',
    NO_COLOR: '1',
    HOST: '127.0.0.1',
    PORT: String(port),
    // What the package script sets (`bun run server`); a test may blank it to see the warning.
    BUN_CONFIG_MAX_HTTP_REQUESTS: '16384',
    ...opts.env,
  };
  const cmd = opts.viaScript ? [process.execPath, 'run', 'server'] : [process.execPath, 'server/main.ts'];
  const proc = Bun.spawn(cmd, { cwd: REPO_ROOT, env, stdin: 'ignore', stdout: 'pipe', stderr: 'pipe' });
  let out = '';
  let err = '';
  const collect = async (stream: ReadableStream<Uint8Array>, add: (s: string) => void) => {
    const decoder = new TextDecoder();
    for await (const chunk of stream) add(decoder.decode(chunk, { stream: true }));
  };
  const collected = Promise.all([collect(proc.stdout, (s) => (out += s)), collect(proc.stderr, (s) => (err += s))]);
  // The exit code is only final once all output has been read.
  const exited = Promise.all([proc.exited, collected]).then(([code]) => code);

  const server: ServerProcess = {
    proc,
    port,
    url: `http://127.0.0.1:${port}`,
    stdout: () => out,
    stderr: () => err,
    exited,
    async waitForOutput(pattern, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (!pattern.test(out + err)) {
        if (proc.exitCode !== null || Date.now() > deadline) {
          throw new Error(`server output never matched ${pattern} (exit code ${proc.exitCode})\n--- stdout\n${out}\n--- stderr\n${err}`);
        }
        await Bun.sleep(20);
      }
    },
    async stop(signal = 'SIGTERM') {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      return exited;
    },
  };
  running.add(server);
  void exited.finally(() => running.delete(server));
  return server;
}

/** Starts the server and waits until it listens and has printed its start-up lines (the token's is last). */
export async function startServer(opts: { env: Record<string, string>; port?: number }): Promise<ServerProcess> {
  const server = spawnServer(opts);
  await server.waitForOutput(/Lite Proxy listening on [^]*admin token:[^\n]*\n/);
  return server;
}

/** For afterAll: SIGKILL whatever is still running. */
export async function killAll(): Promise<void> {
  const left = [...running];
  for (const s of left) s.proc.kill('SIGKILL');
  await Promise.all(left.map((s) => s.exited.catch(() => -1)));
}
