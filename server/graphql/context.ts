import type { ConfigService } from '../configs/service.ts';
import type { ChatEvent, ChatInput } from '../admin/chat.ts';
import type { LogRecorder } from '../logs/recorder.ts';
import type { LogDetail, Store } from '../store/types.ts';
import type { HealthParent } from './mappers.ts';
import type { LogPubSub } from './pubsub.ts';

/** Shared by every operation; built once by createApp. */
export interface GraphQLServices {
  configs: ConfigService;
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

export function createContext(services: GraphQLServices): GraphQLContext {
  const details = new Map<string, Promise<LogDetail | null>>();
  return {
    ...services,
    logDetail(id) {
      let detail = details.get(id);
      if (!detail) {
        detail = services.store.getLog(id);
        details.set(id, detail);
      }
      return detail;
    },
  };
}
