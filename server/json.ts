/**
 * JSON as the layers pass it around: any parsed value (`Json`), or a value kept as the text it
 * arrived in (`JsonText`), so that a logged body is serialised once, on its way to the store.
 * Shared by every layer; imports nothing of the project.
 */

/** Any JSON value (parsed bodies, headers, chunks). */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/**
 * A JSON value kept as the text it arrived in. The proxy logs bodies this way so that they are not
 * serialised a second time on their way to the store; stores write `text` as it is and give back
 * parsed values when read.
 */
export class JsonText {
  constructor(readonly text: string) {}
  parse(): Json {
    return JSON.parse(this.text) as Json;
  }
  /** JSON.stringify of a row that holds JsonText writes the value, not the wrapper. */
  toJSON(): Json {
    return this.parse();
  }
}

/** How a body is handed to a store: a value, or the JSON text it came as. */
export type LoggedJson = Json | JsonText;

/** JSON text for a column or field: as it came when it came as text. */
export function jsonText(value: LoggedJson | undefined): string | null {
  if (value === undefined || value === null) return null;
  return value instanceof JsonText ? value.text : JSON.stringify(value);
}

/** The parsed value when the text is JSON, else undefined. */
export function tryParse(text: string): Json | undefined {
  try {
    return JSON.parse(text) as Json;
  } catch {
    return undefined;
  }
}

/** How deep JSON may nest: requests deeper are refused, stored values deeper are served as text. */
export const MAX_JSON_DEPTH = 1000;

/**
 * Whether a parsed value nests deeper than `max` arrays and objects. Text shorter than 2 × max
 * characters cannot (each level costs a bracket to open and one to close), so callers that have the
 * text skip the walk for it; the walk stops at the first path past `max`.
 */
export function deeperThan(value: unknown, max: number): boolean {
  if (typeof value !== 'object' || value === null) return false;
  if (max === 0) return true;
  // for…in rather than Object.values: no array per object (this walks large request bodies).
  for (const k in value) {
    const item = (value as Record<string, unknown>)[k];
    if (typeof item === 'object' && item !== null && deeperThan(item, max - 1)) return true;
  }
  return false;
}

/**
 * Parsed JSON text from a store column or field; null stays null. A value nested deeper than
 * MAX_JSON_DEPTH (stored by an older release, or by a backend) is given back as its text, since
 * serialising it again for an answer would overflow the stack.
 */
export function fromJsonText(text: unknown): Json {
  if (typeof text !== 'string') return null;
  const value = JSON.parse(text) as Json;
  return text.length > 2 * MAX_JSON_DEPTH && deeperThan(value, MAX_JSON_DEPTH) ? text : value;
}

/**
 * A stored list (a stream's chunks) parsed: as fromJsonText, except that a list too deep to serve
 * becomes a list of one item, its whole text, so that the field stays a list.
 */
export function fromJsonListText(text: unknown): Json {
  const value = fromJsonText(text);
  return typeof value === 'string' ? [value] : value;
}
