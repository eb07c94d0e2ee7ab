/**
 * Request bodies: JSON and multipart parsing, and the replacement of `model` that leaves every
 * other byte of a JSON body as the client sent it.
 */
import { BadRequestError } from '../errors.ts';
import { deeperThan, type Json, MAX_JSON_DEPTH } from '../json.ts';

/** Config names are at most this long, so a longer model can never be routed (and is not echoed back). */
export const MAX_MODEL_NAME = 256;

function checkModel(model: unknown): string {
  if (typeof model !== 'string' || model === '') {
    throw new BadRequestError('You must provide a model parameter', 'missing_model', 'model');
  }
  if (model.length > MAX_MODEL_NAME) {
    throw new BadRequestError(`The model name is longer than ${MAX_MODEL_NAME} characters`, 'invalid_model', 'model');
  }
  return model;
}

export interface JsonBody {
  text: string;
  value: { [key: string]: Json };
  model: string;
}

export function parseJsonBody(text: string): JsonBody {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new BadRequestError(`Request body is not valid JSON: ${(err as Error).message}`, 'invalid_json');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new BadRequestError('Request body must be a JSON object', 'invalid_json');
  }
  if (text.length > 2 * MAX_JSON_DEPTH && deeperThan(value, MAX_JSON_DEPTH)) {
    throw new BadRequestError(`Request body nests JSON deeper than ${MAX_JSON_DEPTH} levels`, 'invalid_json');
  }
  const model = checkModel((value as { model?: unknown }).model);
  return { text, value: value as { [key: string]: Json }, model };
}

/**
 * Returns the JSON text with the value of every top-level "model" key replaced, byte for byte
 * identical elsewhere (a re-serialisation would change number precision, key order and spacing).
 * Falls back to re-serialising when the key is written with escapes the scanner does not decode.
 */
export function replaceModel(body: JsonBody, model: string): string {
  const spans = topLevelModelSpans(body.text);
  if (spans === null || spans.length === 0) return JSON.stringify({ ...body.value, model });
  const replacement = JSON.stringify(model);
  let out = '';
  let last = 0;
  for (const [start, end] of spans) {
    out += body.text.slice(last, start) + replacement;
    last = end;
  }
  return out + body.text.slice(last);
}

/**
 * replaceModel for a body that is not valid UTF-8: the same replacement, made on the bytes, so that
 * every other byte reaches the backend as the client sent it (decoding to text would have turned
 * each invalid sequence into U+FFFD). Latin-1 maps each byte to one character, so the scanner's
 * positions are byte positions; JSON's structure is ASCII either way.
 */
export function replaceModelBytes(body: JsonBody, bytes: Uint8Array<ArrayBuffer>, model: string): Uint8Array<ArrayBuffer> | string {
  const spans = topLevelModelSpans(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1'));
  if (spans === null || spans.length === 0) return JSON.stringify({ ...body.value, model });
  const replacement = Buffer.from(JSON.stringify(model));
  const parts: Uint8Array[] = [];
  let last = 0;
  for (const [start, end] of spans) {
    parts.push(bytes.subarray(last, start), replacement);
    last = end;
  }
  parts.push(bytes.subarray(last));
  return new Uint8Array(Buffer.concat(parts));
}

/** Index just past the string that opens at `start` (which holds a quote). */
function stringEnd(text: string, start: number): number {
  let i = start + 1;
  for (;;) {
    const q = text.indexOf('"', i);
    if (q < 0) return text.length;
    let backslashes = 0;
    for (let j = q - 1; text.charCodeAt(j) === 92; j--) backslashes++;
    if (backslashes % 2 === 0) return q + 1;
    i = q + 1;
  }
}

function skipSpace(text: string, i: number): number {
  while (i < text.length && ' \t\r\n'.includes(text[i]!)) i++;
  return i;
}

/**
 * Spans [start, end) of the string values of the top-level "model" keys of a valid JSON object;
 * null when a key spelt with escapes (such as "m\u006fdel") also means model, so that the caller
 * re-serialises rather than leave a second model for the backend to read.
 */
function topLevelModelSpans(text: string): [number, number][] | null {
  const spans: [number, number][] = [];
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 34 /* " */) {
      const end = stringEnd(text, i);
      if (depth === 1) {
        const colon = skipSpace(text, end);
        const key = text.slice(i + 1, end - 1);
        if (text[colon] === ':' && key === 'model') {
          const valueStart = skipSpace(text, colon + 1);
          if (text[valueStart] === '"') spans.push([valueStart, stringEnd(text, valueStart)]);
        } else if (text[colon] === ':' && key.includes('\\') && JSON.parse(`"${key}"`) === 'model') {
          return null;
        }
      }
      i = end - 1;
    } else if (c === 123 /* { */ || c === 91 /* [ */) depth++;
    else if (c === 125 /* } */ || c === 93 /* ] */) depth--;
  }
  return spans;
}

export interface MultipartBody {
  form: FormData;
  model: string;
  /** What the log keeps: fields as sent, files by name, type and size (never their bytes). */
  summary: { fields: { [key: string]: Json }; files: Json[] };
}

/** More parts than this in one multipart request are refused (a form of a few fields and files is the use). */
export const MAX_MULTIPART_PARTS = 1000;

export async function parseMultipart(bytes: Uint8Array<ArrayBuffer>, contentType: string, logBudget: number): Promise<MultipartBody> {
  let form: FormData;
  try {
    form = await new Response(bytes, { headers: { 'content-type': contentType } }).formData();
  } catch {
    throw new BadRequestError('Request body is not valid multipart/form-data', 'invalid_multipart');
  }
  let parts = 0;
  for (const _ of form.keys()) {
    if (++parts > MAX_MULTIPART_PARTS) throw new BadRequestError(`A multipart request may have at most ${MAX_MULTIPART_PARTS} parts`, 'invalid_multipart');
  }
  const model = checkModel(form.get('model'));
  return { form, model, summary: multipartSummary(form, logBudget) };
}

/**
 * What the log keeps of a form, within `budget` characters as a whole (not per field): fields in
 * order until the budget is spent, the one that crosses it cut with a marker, later ones by size
 * only; files by name, type and size (their name within the budget too).
 */
function multipartSummary(form: FormData, budget: number): MultipartBody['summary'] {
  const fields: { [key: string]: Json } = {};
  const files: Json[] = [];
  let left = budget;
  for (const [key, value] of form) {
    left -= key.length;
    if (typeof value === 'string') {
      const keep = Math.max(0, left);
      fields[key] = value.length <= keep ? value : { _truncated: true, bytes: value.length, preview: value.slice(0, keep) };
      left -= value.length;
    } else {
      const name = value.name.length <= Math.max(0, left) ? value.name : value.name.slice(0, Math.max(0, left));
      files.push({ field: key, name, type: value.type, size: value.size });
      left -= name.length + value.type.length;
    }
  }
  return { fields, files };
}

export function withModel(form: FormData, model: string): FormData {
  const out = new FormData();
  for (const [key, value] of form) {
    // The model is replaced where it stood, so the parts keep their order.
    if (key === 'model') out.append(key, model);
    else if (typeof value === 'string') out.append(key, value);
    else out.append(key, value, value.name);
  }
  return out;
}
