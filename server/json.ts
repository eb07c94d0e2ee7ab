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

/** Parsed JSON text from a store column or field; null stays null. */
export const fromJsonText = (text: unknown): Json => (typeof text === 'string' ? (JSON.parse(text) as Json) : null);
