import { createEffect, createSignal, For, onCleanup, onMount, Show } from 'solid-js';
import { createStore } from 'solid-js/store';
import { ChatTurn, type Turn } from '../components/ChatTurn.tsx';
import { QueryState } from '../components/QueryState.tsx';
import type { ChatInput } from '../graphql/chat.ts';
import { CONFIGS, type ProxyConfig } from '../graphql/operations.ts';
import { streamChat } from '../lib/chat.ts';
import { t } from '../lib/i18n.ts';
import { createQueryResource } from '../lib/resource.ts';
import './chat.css';

// The conversation and its settings live at module level, so they survive leaving the page and
// coming back (not a reload). An answer keeps streaming meanwhile.
const [model, setModel] = createSignal('');
const [system, setSystem] = createSignal('');
const [temperature, setTemperature] = createSignal('');
const [maxTokens, setMaxTokens] = createSignal('');
const [draft, setDraft] = createSignal('');
const [turns, setTurns] = createStore<Turn[]>([]);
let stopActive: (() => void) | null = null;

const streaming = () => turns.at(-1)?.state === 'streaming';

function temperatureError(): string | null {
  const v = temperature().trim();
  if (v === '') return null;
  const n = Number(v);
  return Number.isFinite(n) && n >= 0 && n <= 2 ? null : t('chat.temperatureInvalid');
}

function maxTokensError(): string | null {
  const v = maxTokens().trim();
  return v === '' || (/^\d+$/.test(v) && Number(v) >= 1) ? null : t('chat.maxTokensInvalid');
}

const canSend = () => !streaming() && model() !== '' && draft().trim() !== '' && !temperatureError() && !maxTokensError();

/** What the model is sent: the system prompt, then every message with content, then the new one. */
function chatInput(): ChatInput {
  const messages: ChatInput['messages'] = [];
  if (system().trim()) messages.push({ role: 'SYSTEM', content: system() });
  for (const turn of turns) {
    if (turn.content) messages.push({ role: turn.role === 'user' ? 'USER' : 'ASSISTANT', content: turn.content });
  }
  return {
    model: model(),
    messages,
    temperature: temperature().trim() === '' ? null : Number(temperature()),
    maxTokens: maxTokens().trim() === '' ? null : Number(maxTokens()),
  };
}

const newTurn = (fields: Pick<Turn, 'role' | 'content' | 'model' | 'state'>): Turn => ({
  reasoning: '', logId: null, status: null, finishReason: null, usage: null, ttftMs: null, durationMs: null, error: null, ...fields,
});

function send() {
  if (!canSend()) return;
  setTurns(turns.length, newTurn({ role: 'user', content: draft(), model: model(), state: 'done' }));
  setDraft('');
  const input = chatInput();
  const at = turns.length;
  setTurns(at, newTurn({ role: 'assistant', content: '', model: input.model, state: 'streaming' }));
  const stop = streamChat(input, {
    event(e) {
      switch (e.type) {
        case 'STARTED':
          setTurns(at, 'logId', e.logId);
          break;
        case 'DELTA':
          if (e.content) setTurns(at, 'content', (c) => c + e.content);
          if (e.reasoning) setTurns(at, 'reasoning', (r) => r + e.reasoning);
          break;
        case 'DONE':
        case 'ERROR':
          setTurns(at, {
            state: e.type === 'DONE' ? 'done' : 'error', logId: e.logId, status: e.status, finishReason: e.finishReason,
            usage: e.usage, ttftMs: e.ttftMs, durationMs: e.durationMs, error: e.error,
          });
          stopActive = null;
          break;
      }
    },
    fail(message) {
      setTurns(at, { state: 'error', error: message });
      stopActive = null;
    },
  });
  stopActive = () => {
    stop();
    setTurns(at, 'state', 'stopped');
  };
}

function stopAnswer() {
  stopActive?.();
  stopActive = null;
}

function newChat() {
  stopAnswer();
  setTurns([]);
}

/** Proxy model names that have an enabled config, the ones a client could use. */
function enabledNames(configs: ProxyConfig[]): string[] {
  const names = configs.filter((c) => c.enabled).map((c) => c.proxyModelName);
  return [...new Set(names)].sort((a, b) => a.localeCompare(b));
}

export function Chat() {
  const models = createQueryResource(CONFIGS, { select: (data) => enabledNames(data.configs) });
  let list!: HTMLDivElement;
  let input!: HTMLTextAreaElement;

  createEffect(() => {
    const names = models();
    if (names && !names.includes(model())) setModel(names[0] ?? '');
  });

  // Follow a streaming answer while the reader is at the bottom; scrolling up stops following.
  let follow = true;
  const scroller = () => document.scrollingElement ?? document.documentElement;
  const onScroll = () => {
    const s = scroller();
    follow = s.scrollHeight - s.scrollTop - s.clientHeight < 80;
  };
  onMount(() => {
    window.addEventListener('scroll', onScroll, { passive: true });
    const observer = new ResizeObserver(() => {
      if (follow) scroller().scrollTop = scroller().scrollHeight;
    });
    observer.observe(list);
    // Not on touch screens, where focusing opens the keyboard over the page.
    if (matchMedia('(pointer: fine)').matches) input.focus();
    onCleanup(() => {
      window.removeEventListener('scroll', onScroll);
      observer.disconnect();
    });
  });

  function onKeyDown(e: KeyboardEvent) {
    // isComposing: Enter also confirms a word in an input method (Chinese, Japanese…).
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      follow = true;
      send();
    }
  }

  return (
    <section class="chat">
      <header class="page-head">
        <h1>{t('chat.title')}</h1>
        <button type="button" class="secondary" onClick={newChat} disabled={turns.length === 0}>{t('chat.newChat')}</button>
      </header>

      <div class="chat-settings card">
        <label class="chat-model">
          {t('chat.model')}
          <QueryState of={models} inline empty={<span class="muted">{t('chat.noModels')}</span>}>
            {(names) => (
              <select value={model()} onChange={(e) => setModel(e.currentTarget.value)}>
                <For each={names()}>{(name) => <option value={name}>{name}</option>}</For>
              </select>
            )}
          </QueryState>
        </label>
        <label>
          {t('chat.temperature')}
          <input inputmode="decimal" placeholder={t('common.default')} value={temperature()} aria-invalid={temperatureError() !== null}
            onInput={(e) => setTemperature(e.currentTarget.value)} />
          <Show when={temperatureError()}>{(m) => <span class="error">{m()}</span>}</Show>
        </label>
        <label>
          {t('chat.maxTokens')}
          <input inputmode="numeric" placeholder={t('common.default')} value={maxTokens()} aria-invalid={maxTokensError() !== null}
            onInput={(e) => setMaxTokens(e.currentTarget.value)} />
          <Show when={maxTokensError()}>{(m) => <span class="error">{m()}</span>}</Show>
        </label>
        <label class="chat-system">
          {t('chat.system')}
          <textarea rows="2" placeholder={t('chat.systemPlaceholder')} value={system()} onInput={(e) => setSystem(e.currentTarget.value)} />
        </label>
      </div>

      <div class="chat-log" ref={list}>
        <Show when={turns.length > 0} fallback={<p class="muted chat-empty">{t('chat.empty')}</p>}>
          <For each={turns}>{(turn) => <ChatTurn turn={turn} />}</For>
        </Show>
      </div>

      <form class="chat-composer" onSubmit={(e) => { e.preventDefault(); follow = true; send(); }}>
        <textarea ref={input} rows="3" aria-label={t('chat.message')} placeholder={t('chat.placeholder', { model: model() || '…' })}
          value={draft()} onInput={(e) => setDraft(e.currentTarget.value)} onKeyDown={onKeyDown} />
        <Show when={streaming()} fallback={<button type="submit" disabled={!canSend()}>{t('chat.send')}</button>}>
          <button type="button" class="danger" onClick={stopAnswer}>{t('chat.stop')}</button>
        </Show>
      </form>
    </section>
  );
}
