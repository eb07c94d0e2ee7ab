import type { ConfigService } from '../configs/service.ts';
import type { KeyService } from '../keys/service.ts';
import type { PriceBook } from '../cost/prices.ts';
import { inputError } from './errors.ts';
import type { ChatEvent, ChatInput } from '../admin/chat.ts';
import type { LogRecorder } from '../logs/recorder.ts';
import type { LogDetail, Store } from '../store/types.ts';
import type { HealthParent } from './mappers.ts';
import type { LogPubSub } from './pubsub.ts';

/** Shared by every operation; built once by createApp. */
export interface GraphQLServices {
  configs: ConfigService;
  /** Client keys; null when the app runs without them (some tests). */
  keys: KeyService | null;
  /** What each config is charged at (ProxyConfig.price). */
  prices: PriceBook;
  store: Store;
  recorder: LogRecorder;
  pubsub: LogPubSub;
  health: () => HealthParent;
  /** Runs an admin chat through the proxy pipeline (ends when the subscriber goes away). */
  chat: (input: ChatInput) => AsyncIterable<ChatEvent>;
  /** Aborted at shutdown: live subscriptions end so that they do not hold the server open. */
  closing: AbortSignal;
}

export interface GraphQLContext extends GraphQLServices {
  /** Loads a log's heavy fields once per operation, however many of them the query selects. */
  logDetail: (id: string) => Promise<LogDetail | null>;
}

/**
 * Entries whose bodies one operation may read. Bodies weigh up to LOG_BODY_BYTES each, and an
 * answer is serialised on the proxy's thread: a list of hundreds of entries with their bodies would
 * hold it for seconds. The admin page reads bodies one entry at a time (`log(id)`).
 */
export const MAX_DETAILS_PER_OPERATION = 20;

export function createContext(services: GraphQLServices): GraphQLContext {
  const details = new Map<string, Promise<LogDetail | null>>();
  return {
    ...services,
    logDetail(id) {
      let detail = details.get(id);
      if (!detail) {
        if (details.size >= MAX_DETAILS_PER_OPERATION) {
          throw inputError(`One operation may read the bodies, headers or chunks of at most ${MAX_DETAILS_PER_OPERATION} log entries: leave them out of logs { nodes } and ask log(id) for each`);
        }
        detail = services.store.getLog(id);
        details.set(id, detail);
      }
      return detail;
    },
  };
}
