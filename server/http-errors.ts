/**
 * The renderer for every surface that is neither `/v1` nor `/graphql` (downloads, /metrics, unknown
 * paths): `{"error":{"message","code","param"}}` as JSON, with the error's own headers.
 */
import { HttpError, internalError } from './errors.ts';

export function jsonErrorResponse(err: HttpError): Response {
  return Response.json({ error: { message: err.message, code: err.code, param: err.param } }, { status: err.status, headers: err.headers });
}

/** An error of unknown kind as an HttpError; the unexpected ones are reported, never shown. */
export function asHttpError(err: unknown, where: string): HttpError {
  if (err instanceof HttpError) return err;
  console.error(`[${where}] unexpected error:`, err);
  return internalError();
}
