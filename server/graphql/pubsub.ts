import { createPubSub } from 'graphql-yoga';
import type { LogRow } from '../store/types.ts';

/** An EventTarget that knows how many listeners it has: live-tail subscribers, for health and tests. */
class CountingEventTarget extends EventTarget {
  listeners = 0;
  override addEventListener(...args: Parameters<EventTarget['addEventListener']>): void {
    if (args[1]) this.listeners++;
    super.addEventListener(...args);
  }
  override removeEventListener(...args: Parameters<EventTarget['removeEventListener']>): void {
    if (args[1]) this.listeners--;
    super.removeEventListener(...args);
  }
}

export function createLogPubSub() {
  const target = new CountingEventTarget();
  const pubsub = createPubSub<{ 'log:written': [row: LogRow] }>({ eventTarget: target as never });
  return Object.assign(pubsub, { listenerCount: () => target.listeners });
}

export type LogPubSub = ReturnType<typeof createLogPubSub>;
