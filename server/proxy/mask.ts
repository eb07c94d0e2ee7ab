/**
 * A backend that echoes the config's own key (in an error message, a header, a stream) never shows
 * it to the client or to the log: every occurrence of the exact key string becomes `[redacted]`,
 * across chunk boundaries too. Only the bytes that could begin the key at a chunk's end are held
 * back until the next chunk, so an SSE event (which ends in a blank line) is never delayed.
 */
import { REDACTED } from '../redact.ts';
import type { HeaderRecord } from '../redact.ts';

const MASK = Buffer.from(REDACTED);

/** The key's bytes, made once per key rather than once per request (keys are few and change rarely). */
const keyBytes = new Map<string, Buffer>();
const KEYS_KEPT = 1_000;

function bytesOf(key: string): Buffer {
  let bytes = keyBytes.get(key);
  if (!bytes) {
    if (keyBytes.size >= KEYS_KEPT) keyBytes.clear();
    keyBytes.set(key, (bytes = Buffer.from(key)));
  }
  return bytes;
}

export class KeyMask {
  private readonly key: Buffer;
  private carry: Buffer | null = null;
  /** Whether the key came up (a compressed answer that passes as it is cannot be masked: it is cut). */
  found = false;

  constructor(key: string) {
    this.key = bytesOf(key);
  }

  /** The chunk with the key masked; may hold back its last few bytes (given back by the next call or by end()). */
  push(chunk: Uint8Array): Uint8Array {
    let bytes = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (this.carry) {
      bytes = Buffer.concat([this.carry, bytes]);
      this.carry = null;
    }
    bytes = this.replace(bytes);
    const held = this.partialAtEnd(bytes);
    if (held === 0) return bytes;
    this.carry = Buffer.from(bytes.subarray(bytes.length - held));
    return bytes.subarray(0, bytes.length - held);
  }

  /** Whether the last chunk's end may begin the key (its bytes are held back). */
  get holding(): boolean {
    return this.carry !== null;
  }

  /** What was held back (the body ended: a key cut short is not the key). */
  end(): Uint8Array | null {
    const rest = this.carry;
    this.carry = null;
    return rest;
  }

  /** A whole body, masked. */
  all(bytes: Uint8Array): Uint8Array {
    return this.replace(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  }

  private replace(bytes: Buffer): Buffer {
    let at = bytes.indexOf(this.key);
    if (at < 0) return bytes;
    this.found = true;
    const parts: Buffer[] = [];
    let from = 0;
    while (at >= 0) {
      parts.push(bytes.subarray(from, at), MASK);
      from = at + this.key.length;
      at = bytes.indexOf(this.key, from);
    }
    parts.push(bytes.subarray(from));
    return Buffer.concat(parts);
  }

  /** How many of the last bytes are a proper prefix of the key (so the key may go on in the next chunk). */
  private partialAtEnd(bytes: Buffer): number {
    const first = this.key[0]!;
    for (let k = Math.min(this.key.length - 1, bytes.length); k > 0; k--) {
      const start = bytes.length - k;
      if (bytes[start] === first && bytes.compare(this.key, 0, k, start, bytes.length) === 0) return k;
    }
    return 0;
  }
}

/** The backend's headers with the key masked in every value (copied only when one holds it). */
export function maskHeaders(headers: HeaderRecord, key: string): HeaderRecord {
  let out: HeaderRecord | null = null;
  for (const name in headers) {
    const value = headers[name]!;
    const has = typeof value === 'string' ? value.includes(key) : value.some((v) => v.includes(key));
    if (!has) continue;
    out ??= { ...headers };
    out[name] = typeof value === 'string' ? value.replaceAll(key, REDACTED) : value.map((v) => v.replaceAll(key, REDACTED));
  }
  return out ?? headers;
}
