/**
 * A group's header row on the Models page: its name, its routing where it is not the default
 * ("→ backup, local · ctx → large · 5 attempts"), and the button that opens its routing form.
 */
import { Show } from 'solid-js';
import { MODEL_GROUP_DEFAULTS, type ModelGroup } from '../graphql/operations.ts';
import { t } from '../lib/i18n.ts';

/** What of a group's routing is not the default, compactly: "→ backup, local · ctx → large · 5 attempts"; null when nothing. */
function routingSummary(g: ModelGroup): string | null {
  const parts: string[] = [];
  if (g.fallbacks.length > 0) parts.push(t('models.group.summaryFallbacks', { groups: g.fallbacks.join(', ') }));
  if (g.contextFallbacks.length > 0) parts.push(t('models.group.summaryContext', { groups: g.contextFallbacks.join(', ') }));
  if (g.maxAttempts !== MODEL_GROUP_DEFAULTS.maxAttempts) {
    parts.push(g.maxAttempts === 1 ? t('models.group.summaryOneAttempt') : t('models.group.summaryAttempts', { count: g.maxAttempts }));
  }
  const statuses = g.retryOnStatus.join(', ');
  if (statuses !== MODEL_GROUP_DEFAULTS.retryOnStatus.join(', ')) {
    parts.push(statuses === '' ? t('models.group.summaryNoStatuses') : t('models.group.summaryStatuses', { statuses }));
  }
  return parts.length > 0 ? parts.join(' · ') : null;
}

export interface ModelGroupHeadProps {
  name: string;
  /** Its settings; undefined until they are read (the button waits for them). */
  group: ModelGroup | undefined;
  /** The table's column count, for the header cell to span. */
  columns: number;
  onRouting: (g: ModelGroup) => void;
}

export function ModelGroupHead(props: ModelGroupHeadProps) {
  const summary = () => (props.group ? routingSummary(props.group) : null);
  return (
    <tr class="group-head">
      <th colSpan={props.columns} scope="rowgroup">
        <div class="group-head-line">
          <span class="group-name">{props.name}</span>
          <Show when={summary()}>{(text) => <span class="group-routing" title={t('models.group.summaryTitle')}>{text()}</span>}</Show>
          <button type="button" class="small secondary" aria-label={t('models.group.editLabel', { name: props.name })} disabled={!props.group}
            onClick={() => { if (props.group) props.onRouting(props.group); }}>{t('models.group.edit')}</button>
        </div>
      </th>
    </tr>
  );
}
