import { A } from '@solidjs/router';
import { Match, Show, Switch } from 'solid-js';
import type { TokenUsage } from '../graphql/chat.ts';
import { t } from '../lib/i18n.ts';
import { CopyButton } from './CopyButton.tsx';
import { ErrorMessage } from './ErrorMessage.tsx';
import { Markdown } from './Markdown.tsx';

/** One message of the conversation; an assistant's is filled in as its answer streams. */
export interface Turn {
  role: 'user' | 'assistant';
  content: string;
  reasoning: string;
  /** The proxy model that answered (assistant turns). */
  model: string;
  state: 'streaming' | 'done' | 'stopped' | 'error';
  logId: string | null;
  status: number | null;
  finishReason: string | null;
  usage: TokenUsage | null;
  ttftMs: number | null;
  durationMs: number | null;
  error: string | null;
}

const ms = (v: number) => Math.round(v);
const dash = (v: number | null | undefined) => (v == null ? '–' : v);

/** Status, finish reason, tokens and timings of a finished answer, and the way to its log entry. */
function TurnMeta(props: { turn: Turn }) {
  return (
    <footer class="chat-meta">
      <Switch>
        <Match when={props.turn.state === 'stopped'}><span class="badge chat-stopped">{t('chat.stopped')}</span></Match>
        <Match when={props.turn.state === 'error'}><span class="badge chat-failed">{t('chat.failed')}</span></Match>
      </Switch>
      <Show when={props.turn.status}>{(status) => <span class={`status s${Math.floor(status() / 100)}`}>{status()}</span>}</Show>
      <Show when={props.turn.finishReason}>{(reason) => <span>{reason()}</span>}</Show>
      <Show when={props.turn.usage}>
        {(u) => <span>{t('chat.tokens', { total: dash(u().totalTokens), prompt: dash(u().promptTokens), completion: dash(u().completionTokens) })}</span>}
      </Show>
      <Show when={props.turn.ttftMs != null}><span>{t('chat.ttft', { ms: ms(props.turn.ttftMs!) })}</span></Show>
      <Show when={props.turn.durationMs != null}><span>{t('chat.duration', { ms: ms(props.turn.durationMs!) })}</span></Show>
      <Show when={props.turn.logId}>{(id) => <A class="chat-log-link" href={`/logs?log=${encodeURIComponent(id())}`}>{t('chat.viewLog')}</A>}</Show>
      <Show when={props.turn.content}><CopyButton text={() => props.turn.content} /></Show>
    </footer>
  );
}

export function ChatTurn(props: { turn: Turn }) {
  return (
    <Switch>
      <Match when={props.turn.role === 'user'}>
        <article class="chat-turn chat-user">
          <div class="chat-role">{t('chat.you')}</div>
          <div class="chat-user-text">{props.turn.content}</div>
        </article>
      </Match>
      <Match when={props.turn.role === 'assistant'}>
        <article class="chat-turn chat-assistant" data-state={props.turn.state} aria-busy={props.turn.state === 'streaming'}>
          <div class="chat-role">{props.turn.model}</div>
          <Show when={props.turn.reasoning}>
            {/* Open while the model thinks; folded once the answer is complete. */}
            <details class="chat-reasoning" open={props.turn.state === 'streaming'}>
              <summary>{t('chat.reasoning')}</summary>
              <div class="chat-reasoning-text">{props.turn.reasoning}</div>
            </details>
          </Show>
          <Show when={props.turn.content}>
            <Markdown text={props.turn.content} />
          </Show>
          <Show when={props.turn.state === 'streaming' && !props.turn.content && !props.turn.reasoning}>
            <p class="muted chat-waiting">{t('chat.waiting')}</p>
          </Show>
          <ErrorMessage class="chat-error" message={props.turn.state === 'error' && props.turn.error} />
          <Show when={props.turn.state !== 'streaming'}><TurnMeta turn={props.turn} /></Show>
        </article>
      </Match>
    </Switch>
  );
}
