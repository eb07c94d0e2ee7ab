/**
 * The parse step: just enough of the body to route it (its model), what the log keeps of it, and
 * how to write it again for a backend with another model name.
 */
import { BadRequestError } from '../errors.ts';
import { bodyForLog } from './capture.ts';
import { type JsonBody, parseJsonBody, parseMultipart, replaceModel, replaceModelBytes, withModel } from './body.ts';
import { estimatePromptTokens, estimateTokens } from '../keys/limits.ts';
import type { Exchange } from './exchange.ts';
import { withUsageRequested, withUsageRequestedBytes } from './usage-event.ts';

export interface ParsedRequest {
  model: string;
  multipart: boolean;
  /**
   * The body for a backend whose model is called `backendModel`; only the model differs, and with
   * `addUsage` it asks for the stream's usage (usage-event.ts).
   */
  rewrite(backendModel: string, addUsage?: boolean): BodyInit;
  /** The parsed JSON body (null for multipart): what decides whether usage is asked for. */
  json: Record<string, unknown> | null;
  /** Tokens the request may cost (keys/limits.ts): its prompt's estimate plus its max_tokens. */
  estimatedTokens: number;
  /** The prompt's part of it (the rest is output: budgets price the two apart). */
  estimatedPromptTokens: number;
}

const decoder = new TextDecoder();
/** Throws on invalid UTF-8, so that such a body is rewritten byte for byte (body.ts). */
const strictDecoder = new TextDecoder('utf-8', { fatal: true });

interface ParseInput {
  exchange: Exchange;
  bytes: Uint8Array<ArrayBuffer>;
  contentType: string;
  logBodyBytes: number;
}

/** JSON bodies are parsed synchronously (no extra turn of the event loop); only multipart waits. */
export function parseRequest(o: ParseInput): ParsedRequest | Promise<ParsedRequest> {
  return o.contentType.startsWith('multipart/form-data') ? parseForm(o) : parseJson(o);
}

async function parseForm(o: ParseInput): Promise<ParsedRequest> {
  const parsed = await parseMultipart(o.bytes, o.contentType, o.logBodyBytes);
  o.exchange.requestBody(parsed.summary);
  o.exchange.requestedModel(parsed.model);
  return { model: parsed.model, multipart: true, json: null, rewrite: (m) => withModel(parsed.form, m), estimatedTokens: estimateTokens(o.bytes.byteLength, null), estimatedPromptTokens: estimatePromptTokens(o.bytes.byteLength) };
}

function parseJson(o: ParseInput): ParsedRequest {
  const { exchange, bytes, logBodyBytes } = o;
  if (bytes.byteLength === 0) throw new BadRequestError('Request body is empty; send a JSON object with a model', 'missing_model', 'model');
  let text: string;
  let invalidUtf8 = false;
  try {
    text = strictDecoder.decode(bytes);
  } catch {
    text = decoder.decode(bytes);
    invalidUtf8 = true;
  }
  let parsed: JsonBody;
  try {
    parsed = parseJsonBody(text);
  } catch (err) {
    // The refused body is what a user debugging the 400 needs to see.
    if (exchange.logging) exchange.requestBody(bodyForLog(text, bytes.byteLength, logBodyBytes, false));
    throw err;
  }
  if (exchange.logging) exchange.requestBody(bodyForLog(text, bytes.byteLength, logBodyBytes, true));
  exchange.requestedModel(parsed.model);
  const rewrite = invalidUtf8
    ? (m: string, addUsage?: boolean) => {
      const out = replaceModelBytes(parsed, bytes, m);
      if (!addUsage) return out;
      return typeof out === 'string' ? withUsageRequested(out) : withUsageRequestedBytes(out);
    }
    : (m: string, addUsage?: boolean) => (addUsage ? withUsageRequested(replaceModel(parsed, m)) : replaceModel(parsed, m));
  return {
    model: parsed.model, multipart: false, rewrite, json: parsed.value,
    estimatedTokens: estimateTokens(bytes.byteLength, parsed.value), estimatedPromptTokens: estimatePromptTokens(bytes.byteLength),
  };
}
