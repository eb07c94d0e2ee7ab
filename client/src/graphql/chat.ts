/** The `chat` subscription (the Chat page and the Models page's Test button), next to its types. */
import { createRequest, gql } from '@urql/core';
import { t } from '../lib/i18n.ts';
import { client, errorMessage } from '../lib/urql.ts';
import type { ChatInput, ChatSubscription, ChatSubscriptionVariables } from './generated.ts';

// Generated from schema.graphql and the document below (`bun run codegen`).
export type { ChatInput, ChatRole } from './generated.ts';
export type ChatEvent = ChatSubscription['chat'];
export type TokenUsage = NonNullable<ChatEvent['usage']>;

export const CHAT = gql<ChatSubscription, ChatSubscriptionVariables>`
  subscription Chat($input: ChatInput!) {
    chat(input: $input) {
      type logId content reasoning status finishReason ttftMs durationMs error
      usage { promptTokens completionTokens totalTokens }
    }
  }
`;

export interface ChatHandlers {
  /** Every event, in order; the last one is DONE or ERROR. */
  event(event: ChatEvent): void;
  /** The chat could not run or was cut off (refused input, network error, a stream that ended early). */
  fail(message: string): void;
}

// Above any key urql derives from a query and its variables (32-bit hashes).
let nextKey = 2 ** 40;

/**
 * Runs one chat; returns a function that stops it. Stopping ends the subscription, which makes the
 * server abort the request to the backend. After DONE, ERROR or fail nothing more is reported.
 */
export function streamChat(input: ChatInput, on: ChatHandlers): () => void {
  // urql shares an operation between callers with the same key (query and variables); two chats
  // with the same messages are still two requests, so each gets its own key.
  const request = { ...createRequest(CHAT, { input }), key: nextKey++ };
  let finished = false;
  let last: unknown = null;
  const subscription = client.executeSubscription<ChatSubscription, ChatSubscriptionVariables>(request).subscribe((result) => {
    if (finished) return;
    if (result.error) {
      finished = true;
      on.fail(errorMessage(result.error) ?? result.error.message);
      return;
    }
    // When the stream ends, urql repeats the last result with hasNext: false.
    if (result.data && result.data !== last) {
      last = result.data;
      const event = result.data.chat;
      if (event.type === 'DONE' || event.type === 'ERROR') finished = true;
      on.event(event);
    }
    if (result.hasNext === false && !finished) {
      finished = true;
      on.fail(t('chat.endedEarly'));
    }
  });
  return () => {
    finished = true;
    subscription.unsubscribe();
  };
}
