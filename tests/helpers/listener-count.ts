/**
 * Counts live listeners of one event type on any EventTarget. graphql-yoga's createPubSub keeps its
 * EventTarget private and createApp builds the pubsub itself, so the only way to see whether a
 * subscription let go of its listener is to watch add/removeEventListener on the prototype. The
 * count is of distinct (target, listener) pairs, as EventTarget itself dedupes them.
 */
export interface ListenerCounter {
  readonly count: number;
  /** Polls until the count equals `expected`; throws with the last count after `timeoutMs`. */
  waitFor(expected: number, timeoutMs?: number): Promise<void>;
  restore(): void;
}

export function countListeners(type: string): ListenerCounter {
  const proto = EventTarget.prototype;
  const originalAdd = proto.addEventListener;
  const originalRemove = proto.removeEventListener;
  const live = new Map<EventTarget, Set<unknown>>();

  proto.addEventListener = function (this: EventTarget, ...args: Parameters<EventTarget['addEventListener']>) {
    if (args[0] === type && args[1]) {
      let set = live.get(this);
      if (!set) live.set(this, (set = new Set()));
      set.add(args[1]);
    }
    return originalAdd.apply(this, args);
  };
  proto.removeEventListener = function (this: EventTarget, ...args: Parameters<EventTarget['removeEventListener']>) {
    if (args[0] === type) live.get(this)?.delete(args[1]);
    return originalRemove.apply(this, args);
  };

  const total = () => [...live.values()].reduce((n, set) => n + set.size, 0);
  return {
    get count() {
      return total();
    },
    async waitFor(expected, timeoutMs = 2_000) {
      const deadline = Date.now() + timeoutMs;
      while (total() !== expected) {
        if (Date.now() > deadline) throw new Error(`expected ${expected} "${type}" listeners, still ${total()} after ${timeoutMs} ms`);
        await Bun.sleep(10);
      }
    },
    restore() {
      proto.addEventListener = originalAdd;
      proto.removeEventListener = originalRemove;
    },
  };
}
