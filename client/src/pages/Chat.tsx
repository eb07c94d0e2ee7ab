import { t } from '../lib/i18n.ts';

/** Placeholder until the page lands. */
export function Chat() {
  return <h1>{t('chat.title')}</h1>;
}
