/**
 * The admit step: may this caller send this request? It runs after parse (the model is known) and
 * before routing. Client keys and their limits plug in here; until they exist every caller is
 * admitted, as in 0.1.0, and the returned admission has nothing to release.
 */
import type { Admission } from './exchange.ts';
import type { ParsedRequest } from './parse.ts';

/** Who sent a `/v1` request, as the transport knows it. */
export interface Caller {
  ip: string | null;
  /** Lifts the connection's idle timeout; called once the request body has been read. */
  keepOpen?: () => void;
  /** The log entry's id, when the caller needs to know it up front (the admin's chat). */
  logId?: string;
  /** Send to this config of the requested model's group (the admin's Test button). */
  configId?: string;
}

const OPEN: Admission = { release() {} };

export function admit(_caller: Caller, _request: ParsedRequest): Admission {
  return OPEN;
}
