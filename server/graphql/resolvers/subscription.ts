import { filter, pipe, Repeater } from 'graphql-yoga';
import { matchesFilter, validateFilter } from '../../logs/filter.ts';
import type { ChatEvent } from '../../admin/chat.ts';
import type { LogRow } from '../../store/types.ts';
import type { SubscriptionResolvers } from '../generated.ts';

/** Ends when the signal aborts; raced with a subscription so that shutdown completes it. */
function untilAborted(signal: AbortSignal): Repeater<never> {
  return new Repeater<never>(async (_push, stop) => {
    const onAbort = () => stop();
    if (signal.aborted) stop();
    else signal.addEventListener('abort', onAbort, { once: true });
    await stop;
    signal.removeEventListener('abort', onAbort);
  });
}

export const Subscription: SubscriptionResolvers = {
  logTail: {
    // pipe/filter (Repeaters) stop listening as soon as the client goes away; a hand-written
    // async generator would keep its listener until the next matching event.
    subscribe: (_, args, { pubsub, closing }) => {
      const f = validateFilter(args.filter);
      const rows = pipe(pubsub.subscribe('log:written'), filter((row: LogRow) => matchesFilter(row, f)));
      return Repeater.race([rows, untilAborted(closing)]);
    },
    resolve: (row: LogRow) => row,
  },
  chat: {
    subscribe: (_, { input }, { chat }) => chat(input),
    resolve: (event: ChatEvent) => event,
  },
};
