/**
 * Client keys for /v1: a table with each key's models, limits, use of its budget (KeyUsage), status
 * and last use; New key opens a form (KeyForm), and the created key's secret is shown once in a box
 * with a copy button (the server keeps only its hash, so it can never be shown again). Edit opens the
 * same form on a key that is not revoked. Edit, Disable/Enable and Revoke act on the next request.
 */
import { createSignal, For, Show } from 'solid-js';
import { CopyButton } from '../components/CopyButton.tsx';
import { Dialog } from '../components/Dialog.tsx';
import { ErrorMessage } from '../components/ErrorMessage.tsx';
import { KeyForm } from '../components/KeyForm.tsx';
import { KeyUsage } from '../components/KeyUsage.tsx';
import { QueryState } from '../components/QueryState.tsx';
import { API_KEYS, type ApiKey, REVOKE_API_KEY, UPDATE_API_KEY } from '../graphql/keys.ts';
import { t } from '../lib/i18n.ts';
import { createQueryResource } from '../lib/resource.ts';
import { runMutation } from '../lib/urql.ts';

const when = (iso: string | null) => (iso === null ? null : new Date(iso).toLocaleString(undefined, { dateStyle: 'short', timeStyle: 'short' }));

function statusOf(k: ApiKey): 'active' | 'disabled' | 'revoked' | 'expired' {
  if (k.revokedAt) return 'revoked';
  if (!k.enabled) return 'disabled';
  if (k.expiresAt && new Date(k.expiresAt).getTime() <= Date.now()) return 'expired';
  return 'active';
}

export function Keys() {
  const keys = createQueryResource(API_KEYS, { select: (data) => data.apiKeys });
  /** The form's key: null makes one; undefined, no form. */
  const [editing, setEditing] = createSignal<{ key: ApiKey | null }>();
  const [created, setCreated] = createSignal<{ name: string; secret: string } | null>(null);
  const [pageError, setPageError] = createSignal<string | null>(null);

  async function change(mutation: Promise<{ error: string | null }>) {
    setPageError((await mutation).error);
    keys.refetch();
  }
  const toggle = (k: ApiKey) => void change(runMutation(UPDATE_API_KEY, { id: k.id, input: { enabled: !k.enabled } }));
  const revoke = (k: ApiKey) => {
    if (confirm(t('keys.confirmRevoke', { name: k.name }))) void change(runMutation(REVOKE_API_KEY, { id: k.id }));
  };

  return (
    <section>
      <header class="page-head">
        <h1>{t('keys.title')}</h1>
        <div class="page-actions">
          <button type="button" onClick={() => setEditing({ key: null })}>{t('keys.add')}</button>
        </div>
      </header>
      <p class="muted">{t('keys.intro')}</p>
      <ErrorMessage message={pageError()} />
      <QueryState of={keys} empty={<p class="muted">{t('keys.empty')}</p>}>
        {(list) => <KeyTable keys={list()} onEdit={(k) => setEditing({ key: k })} onToggle={toggle} onRevoke={revoke} />}
      </QueryState>
      <Show when={editing()} keyed>
        {(target) => (
          <KeyForm apiKey={target.key} onCancel={() => setEditing()}
            onCreated={(name, secret) => { setEditing(); setCreated({ name, secret }); keys.refetch(); }}
            onSaved={() => { setEditing(); keys.refetch(); }} />
        )}
      </Show>
      <Show when={created()} keyed>
        {(c) => (
          <Dialog kind="modal" labelledBy="key-secret-title">
            <div class="card key-secret">
              <h2 id="key-secret-title">{t('keys.secretTitle', { name: c.name })}</h2>
              <p>{t('keys.secretOnce')}</p>
              <pre class="mono secret" data-testid="key-secret">{c.secret}</pre>
              <div class="row">
                <CopyButton text={() => c.secret} class="" />
                <button type="button" class="secondary" onClick={() => setCreated(null)}>{t('keys.secretDone')}</button>
              </div>
            </div>
          </Dialog>
        )}
      </Show>
    </section>
  );
}

interface KeyTableProps {
  keys: ApiKey[];
  onEdit: (k: ApiKey) => void;
  onToggle: (k: ApiKey) => void;
  onRevoke: (k: ApiKey) => void;
}

function KeyTable(props: KeyTableProps) {
  const limits = (k: ApiKey) => {
    const parts = [
      k.rpm !== null ? `${k.rpm} rpm` : null,
      k.tpm !== null ? `${k.tpm} tpm` : null,
      k.maxParallel !== null ? `${k.maxParallel} ${t('keys.maxParallel').toLowerCase()}` : null,
    ].filter((p): p is string => p !== null);
    return parts.length > 0 ? parts.join(' · ') : t('keys.none');
  };
  return (
    <div class="table-wrap">
      <table class="keys-table">
        <thead>
          <tr>
            <th>{t('keys.name')}</th><th>{t('keys.publicId')}</th><th>{t('keys.models')}</th><th>{t('keys.limits')}</th>
            <th>{t('keys.use')}</th><th>{t('keys.expiresAt')}</th><th>{t('keys.status')}</th><th>{t('keys.lastUsed')}</th><th>{t('keys.created')}</th><th>{t('keys.actions')}</th>
          </tr>
        </thead>
        <tbody>
          <For each={props.keys}>
            {(k) => (
              <tr data-key={k.name}>
                <td>{k.name}</td>
                <td class="mono">{k.publicId}</td>
                <td>{k.allowedModels ? k.allowedModels.join(', ') : t('keys.modelsAll')}</td>
                <td data-col="limits">{limits(k)}</td>
                <td><KeyUsage apiKey={k} /></td>
                <td>{when(k.expiresAt) ?? t('keys.never')}</td>
                <td class={`key-status ${statusOf(k)}`}>{t(`keys.${statusOf(k)}`)}</td>
                <td>{when(k.lastUsedAt) ?? t('keys.neverUsed')}</td>
                <td>{when(k.createdAt)}</td>
                <td class="actions">
                  <Show when={!k.revokedAt}>
                    <button type="button" class="small" onClick={() => props.onEdit(k)}>{t('keys.edit')}</button>
                    <button type="button" class="small" onClick={() => props.onToggle(k)}>{k.enabled ? t('keys.disable') : t('keys.enable')}</button>
                    <button type="button" class="small danger" onClick={() => props.onRevoke(k)}>{t('keys.revoke')}</button>
                  </Show>
                </td>
              </tr>
            )}
          </For>
        </tbody>
      </table>
    </div>
  );
}
