import { createSignal } from 'solid-js';
import { ErrorMessage } from '../components/ErrorMessage.tsx';
import { signIn } from '../lib/auth.ts';
import { t } from '../lib/i18n.ts';

export function Login() {
  const [value, setValue] = createSignal('');
  const [error, setError] = createSignal<string | null>(null);
  const [busy, setBusy] = createSignal(false);

  async function submit(event: SubmitEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    const result = await signIn(value().trim());
    setBusy(false);
    if (result !== 'ok') setError(t(result === 'wrong' ? 'login.wrong' : result === 'throttled' ? 'login.throttled' : 'login.unreachable'));
  }

  return (
    <div class="login">
      <form class="card" onSubmit={submit}>
        <h1>{t('login.title')}</h1>
        <p class="muted">{t('login.hint')}</p>
        <label>
          {t('login.token')}
          <input type="password" autocomplete="current-password" required value={value()} onInput={(e) => setValue(e.currentTarget.value)} />
        </label>
        <ErrorMessage message={error()} />
        <button type="submit" disabled={busy()}>{t('login.submit')}</button>
      </form>
    </div>
  );
}
