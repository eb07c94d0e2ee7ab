/**
 * A store that could not be opened at start (MongoDB unreachable), for a server that serves anyway:
 * every call is refused as an outage (so log entries go to the spool and config reads fail over to
 * the last known configs) until a background retry of init() succeeds; from then on every call goes
 * to the store itself.
 */
import type { Store } from './types.ts';

export const STORE_NOT_OPEN = 'the store is not reachable yet (unreachable at start)';

export function deferredStore(store: Store, opts: { retryMs: number; report: (message: string) => void; onReady: () => void }) {
  let ready = false;
  let lastError = '';
  const attempt = async () => {
    try {
      await store.init({ report: opts.report });
      ready = true;
      opts.report('[store] reachable again: its configs are in use, and the spooled log entries are replayed');
      opts.onReady();
    } catch (err) {
      const message = (err as Error).message;
      if (message !== lastError) opts.report(`[store] still unreachable, retrying every ${opts.retryMs / 1000} s: ${message}`);
      lastError = message;
      setTimeout(() => void attempt(), opts.retryMs).unref();
    }
  };
  setTimeout(() => void attempt(), opts.retryMs).unref();
  const proxy = new Proxy(store, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (ready || typeof value !== 'function' || prop === 'close') return typeof value === 'function' ? value.bind(target) : value;
      if (prop === 'upgradePendingRows') return () => 0;
      if (prop === 'init') return async () => {};
      return () => Promise.reject(new Error(STORE_NOT_OPEN));
    },
  });
  return proxy as Store;
}
