/**
 * Importing models from a file the admin picked (an export of this or another Lite Proxy): the file
 * is read and parsed here, then confirmed in a dialog, with "replace" as an explicit choice. The
 * server validates the whole document; a refusal keeps the dialog open with its reason, and nothing
 * is imported.
 */
import { createSignal, Show } from 'solid-js';
import { IMPORT_CONFIGS, type ImportResult } from '../graphql/operations.ts';
import { t } from '../lib/i18n.ts';
import { type Outcome, runMutation } from '../lib/urql.ts';
import { Dialog } from './Dialog.tsx';
import { ErrorMessage } from './ErrorMessage.tsx';

/** A file read and parsed, waiting for the user's confirmation. */
export interface ImportFile {
  fileName: string;
  document: unknown;
  /** Entries in the file, when it has a configs list (the server checks the rest). */
  count: number | null;
}

/** Reads a picked file as JSON; a file that cannot be read or parsed comes back as a message naming it. */
export async function readImportFile(file: File): Promise<Outcome<ImportFile>> {
  let text: string;
  try {
    text = await file.text();
  } catch (err) {
    return { data: null, error: t('models.import.readFailed', { name: file.name, message: (err as Error).message }) };
  }
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (err) {
    return { data: null, error: t('models.import.notJson', { name: file.name, message: (err as Error).message }) };
  }
  const list = (document as { configs?: unknown } | null)?.configs;
  return { data: { fileName: file.name, document, count: Array.isArray(list) ? list.length : null }, error: null };
}

export interface ModelImportDialogProps {
  file: ImportFile;
  /** Closed without importing (Cancel, Escape); not while the import runs. */
  onCancel: () => void;
  onImported: (result: ImportResult) => void;
}

export function ModelImportDialog(props: ModelImportDialogProps) {
  const [replace, setReplace] = createSignal(false);
  const [busy, setBusy] = createSignal(false);
  const [error, setError] = createSignal<string | null>(null);
  const cancel = () => {
    if (!busy()) props.onCancel();
  };

  async function runImport(event: SubmitEvent) {
    event.preventDefault();
    if (busy()) return;
    setBusy(true);
    setError(null);
    const outcome = await runMutation(IMPORT_CONFIGS, { document: props.file.document, replace: replace() });
    setBusy(false);
    if (outcome.error !== null) return setError(t('models.import.refused', { message: outcome.error }));
    props.onImported(outcome.data.importConfigs);
  }

  return (
    <Dialog kind="modal" labelledBy="import-title" onClose={cancel}>
      <form class="card" onSubmit={runImport}>
        <h2 id="import-title">{t('models.import.title')}</h2>
        <p class="mono">{props.file.fileName}</p>
        <Show when={props.file.count !== null}>
          <p>{props.file.count === 1 ? t('models.import.countOne') : t('models.import.count', { count: props.file.count! })}</p>
        </Show>
        <p class="muted">{t('models.import.how')}</p>
        <label class="check">
          <input type="checkbox" checked={replace()} disabled={busy()} onChange={(e) => setReplace(e.currentTarget.checked)} />
          {t('models.import.replace')}
        </label>
        <Show when={replace()}><p class="warning">{t('models.import.replaceWarning')}</p></Show>
        <ErrorMessage message={error()} />
        <div class="row">
          <button type="submit" disabled={busy()} ref={(el) => setTimeout(() => el.focus())}>
            {busy() ? t('models.import.busy') : t('models.import.submit')}
          </button>
          <button type="button" class="secondary" disabled={busy()} onClick={cancel}>{t('models.cancel')}</button>
        </div>
      </form>
    </Dialog>
  );
}
