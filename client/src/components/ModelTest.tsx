/**
 * The Models page's Test: a one-line chat with exactly one config (disabled or not), through the
 * proxy and logged like any client's, and its answer under the row's buttons: status, time, reply.
 */
import { Show } from 'solid-js';
import { createStore } from 'solid-js/store';
import type { ProxyConfig } from '../graphql/operations.ts';
import { streamChat } from '../lib/chat.ts';
import { t } from '../lib/i18n.ts';

// Sent to the model, never shown: the same in every language of the admin.
const TEST_PROMPT = 'Say hello in five words.';

export interface ModelTests {
  run(config: ProxyConfig): void;
  /** What the latest test of this config says ("Testing…" while it runs). */
  line(id: string): string | undefined;
}

/** Lines are kept by config id, so they outlive the list's refetches (whose rows are new objects). */
export function createModelTests(): ModelTests {
  const [lines, setLines] = createStore<Record<string, string>>({});
  return {
    run(config) {
      const show = (line: string) => setLines(config.id, line);
      show(t('models.testing'));
      let reply = '';
      const input = { model: config.proxyModelName, configId: config.id, maxTokens: 32, messages: [{ role: 'USER' as const, content: TEST_PROMPT }] };
      streamChat(input, {
        event(e) {
          if (e.type === 'DELTA') reply += e.content ?? '';
          if (e.type !== 'DONE' && e.type !== 'ERROR') return;
          const text = e.type === 'DONE' ? reply : (e.error ?? '');
          show(e.status == null ? text : `${t('models.testResult', { status: e.status, ms: Math.round(e.durationMs ?? 0) })}: ${text}`);
        },
        fail: show,
      });
    },
    line: (id) => lines[id],
  };
}

export function ModelTestResult(props: { line: string | undefined }) {
  return <Show when={props.line}>{(line) => <div class="test-result">{line()}</div>}</Show>;
}
