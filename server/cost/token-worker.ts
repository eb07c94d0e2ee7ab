/**
 * The tokenizer's Worker (cost/tokens.ts): loading gpt-tokenizer's o200k_base tables takes about
 * two seconds of CPU and some 70 MB, and counting a long text a few milliseconds, none of which may
 * stall the proxy's event loop. Loaded on the first count; answers { id, counts } or { id, error }.
 */
declare const self: Worker;
export {};

let count: ((text: string) => number) | null = null;

self.onmessage = async (message: MessageEvent<{ id: number; texts: string[] }>) => {
  const { id, texts } = message.data;
  try {
    count ??= (await import('gpt-tokenizer/encoding/o200k_base')).countTokens;
    self.postMessage({ id, counts: texts.map((t) => count!(t)) });
  } catch (err) {
    self.postMessage({ id, error: String(err) });
  }
};
