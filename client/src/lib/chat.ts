/** One chat with a model over the `chat` subscription: the Chat page, and the Models page's Test button. */
import { CHAT, type ChatEvent, type ChatInput } from '../graphql/chat.ts';
import { t } from './i18n.ts';
import { subscribe } from './urql.ts';

export interface ChatHandlers {
  /** Every event, in order; the last one is DONE or ERROR. */
  event(event: ChatEvent): void;
  /** The chat could not run or was cut off (refused input, network error, a stream that ended early). */
  fail(message: string): void;
}

/**
 * Runs one chat; returns a function that stops it. Stopping ends the subscription, which makes the
 * server abort the request to the backend. After DONE, ERROR or fail nothing more is reported.
 */
export function streamChat(input: ChatInput, on: ChatHandlers): () => void {
  let finished = false;
  const stop = subscribe(CHAT, { input }, {
    next(data) {
      if (finished) return;
      if (data.chat.type === 'DONE' || data.chat.type === 'ERROR') finished = true;
      on.event(data.chat);
    },
    fail(message) {
      if (finished) return;
      finished = true;
      on.fail(message);
    },
    end() {
      if (finished) return;
      finished = true;
      on.fail(t('chat.endedEarly'));
    },
  });
  return () => {
    finished = true;
    stop();
  };
}
