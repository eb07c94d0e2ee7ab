import { filter, pipe } from 'graphql-yoga';
import { matchesFilter, validateFilter } from '../../logs/filter.ts';
import type { LogRow } from '../../store/types.ts';
import type { SubscriptionResolvers } from '../generated.ts';

export const Subscription: SubscriptionResolvers = {
  logTail: {
    // pipe/filter (Repeaters) stop listening as soon as the client goes away; a hand-written
    // async generator would keep its listener until the next matching event.
    subscribe: (_, args, { pubsub }) => {
      const f = validateFilter(args.filter);
      return pipe(pubsub.subscribe('log:written'), filter((row: LogRow) => matchesFilter(row, f)));
    },
    resolve: (row: LogRow) => row,
  },
};
