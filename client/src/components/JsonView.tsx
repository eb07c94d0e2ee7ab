/**
 * A JSON value as a tree: objects and arrays fold per node, scalars and keys are coloured by type.
 * Everything is a Solid text node (never innerHTML), so logged markup shows as text and runs nothing.
 * Cheap on a 1 MB body: a folded node renders none of its children, an open one at most CHILD_PAGE
 * of them, and a long string only its first STRING_LIMIT characters until asked for all.
 */
import { createMemo, createSignal, For, Match, Show, Switch } from 'solid-js';
import { t as translate } from '../lib/i18n.ts';
import './json-view.css';

/**
 * Nodes deeper than this, or with more children than this, start folded (the top level starts
 * open); so do the children of a node with more children than this.
 */
const OPEN_DEPTH = 3;
const OPEN_CHILDREN = 50;
const CHILD_PAGE = 500;
const STRING_LIMIT = 500;
/** The one-line preview beside a folded node that asks for one (a raw stream chunk, an item of a long list). */
const PREVIEW_CHARS = 300;

/** Counts are shown with thousands separators ("3,000 items"). */
const t = (key: 'json.keys' | 'json.key' | 'json.items' | 'json.item' | 'json.expand' | 'json.collapse' | 'json.showAll' | 'json.showLess' | 'json.showMore', params: Record<string, number> = {}) =>
  translate(key, Object.fromEntries(Object.entries(params).map(([name, n]) => [name, n.toLocaleString()])));

type Container = Record<string, unknown> | unknown[];
const isContainer = (value: unknown): value is Container => typeof value === 'object' && value !== null;
const isEmpty = (value: Container) => (Array.isArray(value) ? value.length === 0 : Object.keys(value).length === 0);

export interface JsonViewProps {
  value: unknown;
  /** Start with the top level folded too (one line per value, e.g. a raw stream chunk). */
  folded?: boolean;
  /** Beside the folded top level, its JSON text cut to one line. */
  preview?: boolean;
}

export function JsonView(props: JsonViewProps) {
  return (
    <div class="json-view">
      <JsonNode value={props.value} depth={0} comma={false} folded={props.folded} preview={props.preview} />
    </div>
  );
}

interface NodeProps {
  value: unknown;
  depth: number;
  /** An object key (string) or an array index (number); none at the top. */
  label?: string | number;
  comma: boolean;
  folded?: boolean;
  preview?: boolean;
}

function JsonNode(props: NodeProps) {
  return (
    <Show
      when={isContainer(props.value) && !isEmpty(props.value)}
      fallback={
        <div class="jv-line">
          <span class="jv-gap" />
          <Label label={props.label} />
          <Scalar value={props.value} />
          <Comma show={props.comma} />
        </div>
      }
    >
      <Branch {...props} value={props.value as Container} />
    </Show>
  );
}

function Branch(props: NodeProps & { value: Container }) {
  const keys = createMemo(() => (Array.isArray(props.value) ? null : Object.keys(props.value)));
  const size = () => keys()?.length ?? (props.value as unknown[]).length;
  const marks = () => (Array.isArray(props.value) ? ['[', ']'] : ['{', '}']);
  const [open, setOpen] = createSignal(!props.folded && (props.depth === 0 || (props.depth <= OPEN_DEPTH && size() <= OPEN_CHILDREN)));
  const [limit, setLimit] = createSignal(CHILD_PAGE);
  // Many children open as one line each, with a preview: a list to scan, not a wall of trees.
  const crowded = () => size() > OPEN_CHILDREN;
  const children = (): (string | number)[] => {
    const n = Math.min(size(), limit());
    return keys()?.slice(0, n) ?? Array.from({ length: n }, (_, i) => i);
  };
  const child = (key: string | number) => (props.value as Record<string | number, unknown>)[key];
  const count = () => {
    const n = size();
    if (keys()) return n === 1 ? t('json.key') : t('json.keys', { count: n });
    return n === 1 ? t('json.item') : t('json.items', { count: n });
  };
  const preview = () => {
    const text = JSON.stringify(props.value);
    return text.length > PREVIEW_CHARS ? `${text.slice(0, PREVIEW_CHARS)}…` : text;
  };

  return (
    <div class="jv-branch">
      <div class="jv-line">
        <button type="button" class="jv-toggle" aria-expanded={open()} title={open() ? t('json.collapse') : t('json.expand')} onClick={() => setOpen(!open())}>
          {open() ? '▾' : '▸'}
        </button>
        <Label label={props.label} />
        <Show
          when={open()}
          fallback={
            <>
              <button type="button" class="jv-summary" onClick={() => setOpen(true)}>{`${marks()[0]}…${marks()[1]}`}</button>
              <span class="jv-count">{count()}</span>
              <Show when={props.preview}><span class="jv-preview">{preview()}</span></Show>
              <Comma show={props.comma} />
            </>
          }
        >
          <span class="jv-punct">{marks()[0]}</span>
        </Show>
      </div>
      <Show when={open()}>
        <div class="jv-children">
          <For each={children()}>
            {(key, i) => (
              <JsonNode value={child(key)} label={key} depth={props.depth + 1} comma={i() < size() - 1} folded={crowded()} preview={crowded()} />
            )}
          </For>
          <Show when={size() > limit()}>
            <button type="button" class="jv-link" onClick={() => setLimit(limit() + CHILD_PAGE)}>
              {t('json.showMore', { next: Math.min(CHILD_PAGE, size() - limit()), count: size() })}
            </button>
          </Show>
        </div>
        <div class="jv-line">
          <span class="jv-gap" />
          <span class="jv-punct">{marks()[1]}</span>
          <Comma show={props.comma} />
        </div>
      </Show>
    </div>
  );
}

function Label(props: { label?: string | number }) {
  return (
    <Switch>
      <Match when={typeof props.label === 'string'}>
        <span class="jv-key">{JSON.stringify(props.label)}</span>
        <span class="jv-punct">: </span>
      </Match>
      <Match when={typeof props.label === 'number'}>
        <span class="jv-index">{props.label}</span>
        <span class="jv-punct">: </span>
      </Match>
    </Switch>
  );
}

function Scalar(props: { value: unknown }) {
  return (
    <Switch fallback={<span class="jv-null">null</span>}>
      <Match when={typeof props.value === 'string'}><JsonString value={props.value as string} /></Match>
      <Match when={typeof props.value === 'number'}><span class="jv-number">{String(props.value)}</span></Match>
      <Match when={typeof props.value === 'boolean'}><span class="jv-boolean">{String(props.value)}</span></Match>
      <Match when={Array.isArray(props.value)}><span class="jv-punct">[]</span></Match>
      <Match when={isContainer(props.value)}><span class="jv-punct">{'{}'}</span></Match>
    </Switch>
  );
}

/** A string as JSON text (quoted, escaped); past STRING_LIMIT characters cut until "show all". */
function JsonString(props: { value: string }) {
  const [all, setAll] = createSignal(false);
  const long = () => props.value.length > STRING_LIMIT;
  const text = () => {
    if (!long() || all()) return JSON.stringify(props.value);
    // Never cut a surrogate pair in two: half an emoji would show as an escape.
    const end = /[\uD800-\uDBFF]/.test(props.value[STRING_LIMIT - 1] ?? '') ? STRING_LIMIT - 1 : STRING_LIMIT;
    return `${JSON.stringify(props.value.slice(0, end)).slice(0, -1)}…`;
  };
  return (
    <>
      <span class="jv-string">{text()}</span>
      <Show when={long()}>
        <button type="button" class="jv-link" onClick={() => setAll(!all())}>
          {all() ? t('json.showLess') : t('json.showAll', { count: props.value.length })}
        </button>
      </Show>
    </>
  );
}

function Comma(props: { show: boolean }) {
  return <Show when={props.show}><span class="jv-punct">,</span></Show>;
}
