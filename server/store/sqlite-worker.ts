/**
 * Calls into a SQLite Worker (the reader, sqlite-reader.ts, and the writer, sqlite-writer.ts) as
 * promises: each call is a message answered when the Worker is done, so that the proxy's event loop
 * never waits on SQLite. A Worker may also send events (progress, messages for the console).
 */

export type WorkerCall = { id: number; op: string; args: unknown[] };
export type WorkerAnswer = { id: number; value: unknown } | { id: number; error: string } | { event: string; value: unknown };

export class WorkerPort {
  /** Bun's Worker can be ref'd and unref'd like a timer (the DOM type it is declared with cannot). */
  private readonly worker: Worker & { ref(): void; unref(): void };
  private readonly waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private nextId = 1;
  private closed = false;

  constructor(opts: { script: URL; init: unknown; name: string; onEvent?: (event: string, value: unknown) => void }) {
    this.worker = new Worker(opts.script) as Worker & { ref(): void; unref(): void };
    this.worker.onmessage = (message: MessageEvent<WorkerAnswer>) => {
      const answer = message.data;
      if ('event' in answer) return opts.onEvent?.(answer.event, answer.value);
      const call = this.waiting.get(answer.id);
      if (!call) return;
      this.waiting.delete(answer.id);
      if (this.waiting.size === 0) this.worker.unref();
      // Settled after this message's dispatch: code that resumes on it and then blocks on the next
      // answer inside the same dispatch (bun test's expect().resolves does) would never get it.
      setImmediate(() => ('error' in answer ? call.reject(new Error(answer.error)) : call.resolve(answer.value)));
    };
    this.worker.onerror = (event) => this.failAll(new Error(`the SQLite ${opts.name} stopped: ${event.message}`));
    this.worker.postMessage(opts.init);
    // An idle Worker must not keep the process alive; one with calls pending does, as any I/O would.
    this.worker.unref();
  }

  call(op: string, args: unknown[]): Promise<unknown> {
    if (this.closed) return Promise.reject(new Error('the store is closed'));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      if (this.waiting.size === 0) this.worker.ref();
      this.waiting.set(id, { resolve, reject });
      this.worker.postMessage({ id, op, args } satisfies WorkerCall);
    });
  }

  /** Asks the Worker to close its connection (cleanly: no -shm file left behind), then ends it. */
  async close(waitMs = 2_000): Promise<void> {
    if (this.closed) return;
    const closing = this.call('close', []);
    this.closed = true;
    await Promise.race([closing.catch(() => {}), Bun.sleep(waitMs)]);
    this.failAll(new Error('the store is closed'));
    this.worker.terminate();
  }

  private failAll(err: Error): void {
    for (const call of this.waiting.values()) call.reject(err);
    this.waiting.clear();
    this.worker.unref();
  }
}

/** How much lower than the proxy's thread a SQLite Worker runs (Linux nice, 0–19). */
const WORKER_NICE = 10;

/**
 * Lowers the calling thread's scheduling priority (Linux: setpriority on its thread id, through
 * libc). Where the machine has fewer cores than busy threads, a Worker paging through a many-GB
 * file then yields the core to the proxy's thread whenever that has work, instead of sharing it
 * evenly. Elsewhere (another OS, no libc) nothing changes.
 */
export function lowerThreadPriority(nice = WORKER_NICE): boolean {
  if (process.platform !== 'linux') return false;
  try {
    const { dlopen, FFIType } = require('bun:ffi') as typeof import('bun:ffi');
    const libc = dlopen('libc.so.6', {
      gettid: { args: [], returns: FFIType.i32 },
      setpriority: { args: [FFIType.i32, FFIType.u32, FFIType.i32], returns: FFIType.i32 },
    });
    const PRIO_PROCESS = 0;
    const ok = libc.symbols.setpriority(PRIO_PROCESS, libc.symbols.gettid(), nice) === 0;
    libc.close();
    return ok;
  } catch {
    return false;
  }
}

/** A handler's answer whose buffers move to the proxy's thread instead of being copied. */
export class Transferred<T> {
  constructor(readonly value: T, readonly transfer: ArrayBuffer[]) {}
}

/**
 * The Worker's side: the first message opens the Worker (`open` returns the handlers); each later
 * call is answered with its handler's value, awaited, so calls may overlap (the writer's paced
 * pieces do). A handler that throws answers with its message.
 */
export function serveWorker<I>(self: Worker, open: (init: I) => Record<string, (...args: never[]) => unknown>): void {
  let handlers: Record<string, (...args: never[]) => unknown> | null = null;
  let failed: string | null = null;
  self.onmessage = async (message: MessageEvent<I | WorkerCall>) => {
    if (!handlers && failed === null) {
      try {
        lowerThreadPriority();
        handlers = open(message.data as I);
      } catch (err) {
        failed = `the SQLite file did not open: ${err instanceof Error ? err.message : String(err)}`;
      }
      return;
    }
    const { id, op, args } = message.data as WorkerCall;
    try {
      if (!handlers) throw new Error(failed!);
      const handler = handlers[op] as ((...a: unknown[]) => unknown) | undefined;
      if (!handler) throw new Error(`unknown call ${op}`);
      const value = await handler(...args);
      if (value instanceof Transferred) self.postMessage({ id, value: value.value } satisfies WorkerAnswer, value.transfer);
      else self.postMessage({ id, value: value ?? null } satisfies WorkerAnswer);
    } catch (err) {
      self.postMessage({ id, error: err instanceof Error ? err.message : String(err) } satisfies WorkerAnswer);
    }
  };
}
