/**
 * Every visible string comes from the catalogues in src/messages (one file per page, English and
 * Simplified Chinese); the language follows the browser until the user picks one.
 */
import { createSignal } from 'solid-js';
import * as chat from '../messages/chat.ts';
import * as common from '../messages/common.ts';
import * as dashboard from '../messages/dashboard.ts';
import * as keys from '../messages/keys.ts';
import * as logs from '../messages/logs.ts';
import * as models from '../messages/models.ts';

const en = { ...common.en, ...dashboard.en, ...models.en, ...keys.en, ...logs.en, ...chat.en };
type Key = keyof typeof en;
const zh: Record<Key, string> = { ...common.zh, ...dashboard.zh, ...models.zh, ...keys.zh, ...logs.zh, ...chat.zh };

export type Locale = 'en' | 'zh';
const catalogues: Record<Locale, Record<Key, string>> = { en, zh };
const LOCALE_KEY = 'lite-proxy.locale';

function initialLocale(): Locale {
  const saved = localStorage.getItem(LOCALE_KEY);
  if (saved === 'en' || saved === 'zh') return saved;
  return navigator.language.toLowerCase().startsWith('zh') ? 'zh' : 'en';
}

const [locale, setLocaleSignal] = createSignal<Locale>(initialLocale());
export { locale };

export function setLocale(value: Locale): void {
  localStorage.setItem(LOCALE_KEY, value);
  document.documentElement.lang = value === 'zh' ? 'zh-CN' : 'en';
  setLocaleSignal(value);
}

export function t(key: Key, params: Record<string, string | number> = {}): string {
  return catalogues[locale()][key].replace(/\{(\w+)\}/g, (_, name: string) => String(params[name] ?? `{${name}}`));
}
