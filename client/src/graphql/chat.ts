/** The `chat` subscription (run by lib/chat.ts for the Chat page and the Models page's Test button), next to its types. */
import { gql } from '@urql/core';
import type { ChatSubscription, ChatSubscriptionVariables } from './generated.ts';

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
