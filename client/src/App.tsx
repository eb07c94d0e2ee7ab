import { Route, Router, A, type RouteSectionProps } from '@solidjs/router';
import { ErrorBoundary, lazy, Show } from 'solid-js';
import { checkSession, logout, signedIn } from './lib/auth.ts';
import { locale, setLocale, t } from './lib/i18n.ts';
import { Dashboard } from './pages/Dashboard.tsx';
import { Login } from './pages/Login.tsx';
import { Logs } from './pages/Logs.tsx';
import { Keys } from './pages/Keys.tsx';
import { Models } from './pages/Models.tsx';

// Markdown and code highlighting are only needed on the Chat page: loaded when it is opened.
const Chat = lazy(() => import('./pages/Chat.tsx').then((m) => ({ default: m.Chat })));

void checkSession();

function Layout(props: RouteSectionProps) {
  return (
    // Nothing until the first check says whether the browser is signed in (no flash of the login).
    <Show when={signedIn()} fallback={<Show when={signedIn() === false}><Login /></Show>}>
      <div class="shell">
        <nav class="nav">
          <div class="brand">{t('app.title')}</div>
          <A href="/" end activeClass="active">{t('nav.dashboard')}</A>
          <A href="/models" activeClass="active">{t('nav.models')}</A>
          <A href="/keys" activeClass="active">{t('nav.keys')}</A>
          <A href="/logs" activeClass="active">{t('nav.logs')}</A>
          <A href="/chat" activeClass="active">{t('nav.chat')}</A>
          <a href="/graphql" target="_blank" rel="noopener">{t('nav.playground')}</a>
          <div class="spacer" />
          <label class="lang">
            {t('nav.language')}
            <select value={locale()} onChange={(e) => setLocale(e.currentTarget.value as 'en' | 'zh')}>
              <option value="en">English</option>
              <option value="zh">简体中文</option>
            </select>
          </label>
          <button type="button" class="link" onClick={() => void logout()}>{t('nav.logout')}</button>
        </nav>
        <main class="main">
          {/* A page that throws shows what went wrong, not a blank screen; the menu stays usable. */}
          <ErrorBoundary fallback={(err, reset) => (
            <div class="card page-error" role="alert">
              <h1>{t('common.pageFailed')}</h1>
              <p class="error">{err instanceof Error ? err.message : String(err)}</p>
              <button type="button" onClick={reset}>{t('common.retry')}</button>
            </div>
          )}>
            {props.children}
          </ErrorBoundary>
        </main>
      </div>
    </Show>
  );
}

export function App() {
  return (
    <Router root={Layout}>
      <Route path="/" component={Dashboard} />
      <Route path="/models" component={Models} />
      <Route path="/keys" component={Keys} />
      <Route path="/logs" component={Logs} />
      <Route path="/chat" component={Chat} />
      <Route path="*" component={Dashboard} />
    </Router>
  );
}
