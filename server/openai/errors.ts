/**
 * The `/v1` surface's error renderer: every error the proxy makes reaches an OpenAI client in
 * OpenAI's shape, `{"error":{"message","type","param","code"}}`, which the official SDKs turn into
 * their typed errors (BadRequestError, NotFoundError, …).
 */
import type { HttpError } from '../errors.ts';

export function openAiErrorBody(err: HttpError): string {
  return JSON.stringify({ error: { message: err.message, type: err.type, param: err.param, code: err.code } });
}

/** `body` is the error's body when the caller made it already (to log it too). */
export function openAiErrorResponse(err: HttpError, body = openAiErrorBody(err)): Response {
  return new Response(body, { status: err.status, headers: { 'content-type': 'application/json', ...err.headers } });
}
