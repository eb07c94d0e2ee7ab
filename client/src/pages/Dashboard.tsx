import { t } from '../lib/i18n.ts';

/** Placeholder until the page lands. */
export function Dashboard() {
  return <h1>{t('dashboard.title')}</h1>;
}
