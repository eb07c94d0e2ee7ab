/** Waits on the app's live-tail listener count (the pubsub counts its own listeners). */
export interface ListenerCounter {
  readonly count: number;
  /** Polls until the count equals `expected`; throws with the last count after `timeoutMs`. */
  waitFor(expected: number, timeoutMs?: number): Promise<void>;
}

export function watchListeners(read: () => number): ListenerCounter {
  return {
    get count() {
      return read();
    },
    async waitFor(expected, timeoutMs = 2_000) {
      const deadline = Date.now() + timeoutMs;
      while (read() !== expected) {
        if (Date.now() > deadline) throw new Error(`expected ${expected} live-tail listeners, have ${read()}`);
        await Bun.sleep(5);
      }
    },
  };
}
