/**
 * The renderer for every surface that is neither `/v1` nor `/graphql` (downloads, /metrics, unknown
 * paths): `{"error":{"message","type","param","code"}}` as JSON (the fields 0.1.0 gave them), with the
 * error's own headers.
 */
import { HttpError, internalError } from './errors.ts';

export function jsonErrorResponse(err: HttpError): Response {
  return Response.json({ error: { message: err.message, type: err.type, param: err.param, code: err.code } }, { status: err.status, headers: err.headers });
}

/** An error of unknown kind as an HttpError; the unexpected ones are reported, never shown. */
export function asHttpError(err: unknown, where: string): HttpError {
  if (err instanceof HttpError) return err;
  console.error(`[${where}] unexpected error:`, err);
  return internalError();
}
