/**
 * The server's typed errors. Each carries an HTTP status and a code; each surface renders them
 * once, in its own shape: `/v1` in OpenAI's (openai/errors.ts), `/graphql` as GraphQL errors
 * (graphql/errors.ts), everything else as JSON (http-errors.ts). Nothing here knows a surface.
 */

export interface HttpErrorOptions {
  /** OpenAI's error `type`; by default invalid_request_error for 4xx, api_error for 5xx. */
  type?: string;
  /** The request field at fault, when there is one. */
  param?: string | null;
  /** Extra response headers (www-authenticate, retry-after, …). */
  headers?: Record<string, string>;
}

export class HttpError extends Error {
  readonly type: string;
  readonly param: string | null;
  readonly headers: Record<string, string>;

  constructor(message: string, readonly status: number, readonly code: string, opts: HttpErrorOptions = {}) {
    super(message);
    this.name = new.target.name;
    this.type = opts.type ?? (status >= 500 ? 'api_error' : 'invalid_request_error');
    this.param = opts.param ?? null;
    this.headers = opts.headers ?? {};
  }
}

export class BadRequestError extends HttpError {
  constructor(message: string, code = 'invalid_request', param: string | null = null) {
    super(message, 400, code, { param });
  }
}

/**
 * A value from outside (a GraphQL argument, a query parameter, an imported document) that breaks a
 * rule: GraphQL shows it as BAD_USER_INPUT, other surfaces as a 400.
 */
export class InputError extends HttpError {
  constructor(message: string, readonly field: string | null = null) {
    super(message, 400, 'invalid_parameter', { param: field });
  }
}

/** A path, or something an operation names, that does not exist. */
export class NotFoundError extends HttpError {
  constructor(message: string) {
    super(message, 404, 'not_found');
  }
}

export class UnauthorizedError extends HttpError {
  constructor(message: string) {
    super(message, 401, 'unauthorized', { headers: { 'www-authenticate': 'Bearer' } });
  }
}

/** Authenticated, but the request lacks what it needs to be trusted (the CSRF header of a cookie-signed request). */
export class ForbiddenError extends HttpError {
  constructor(message: string) {
    super(message, 403, 'forbidden');
  }
}

/** An address that failed to log in too often (admin/login-throttle.ts). */
export class TooManyAttemptsError extends HttpError {
  constructor(retryAfterSeconds: number) {
    super(`Too many failed logins from this address: try again in ${retryAfterSeconds} s`, 429, 'too_many_attempts', {
      headers: { 'retry-after': String(retryAfterSeconds) },
    });
  }
}

export class ModelNotFoundError extends HttpError {
  constructor(model: string, reason: 'unknown' | 'disabled') {
    const why = reason === 'disabled' ? 'is disabled' : 'does not exist';
    const shown = model.length > 256 ? `${model.slice(0, 256)}…` : model;
    super(`The model \`${shown}\` ${why} on this proxy`, 404, 'model_not_found', { param: 'model' });
  }
}

/** Every config of the model's group was cooling (or its one probe was out): none was tried. */
export class NoHealthyBackendError extends HttpError {
  constructor(model: string) {
    const shown = model.length > 256 ? `${model.slice(0, 256)}…` : model;
    super(`No backend of \`${shown}\` can take requests now: every one is cooling down after failures. Try again shortly.`, 503, 'no_healthy_backend', { param: 'model' });
  }
}

/** What a client key cannot do, now or by retrying: the official SDKs read x-should-retry. */
export const NO_RETRY = { 'x-should-retry': 'false' };

/** /v1 without a valid client key: OpenAI's 401 (the SDKs' AuthenticationError). The message never holds the key. */
export class InvalidApiKeyError extends HttpError {
  constructor(message: string) {
    super(message, 401, 'invalid_api_key', { headers: { ...NO_RETRY, 'www-authenticate': 'Bearer' } });
  }
}

/** A client key asking for a model it may not use: 403 (the SDKs' PermissionDeniedError). */
export class ModelNotAllowedError extends HttpError {
  constructor(model: string) {
    const shown = model.length > 256 ? `${model.slice(0, 256)}…` : model;
    super(`This API key may not use the model \`${shown}\``, 403, 'model_not_allowed', { param: 'model', headers: NO_RETRY });
  }
}

export class PayloadTooLargeError extends HttpError {
  constructor(limit: number) {
    super(`Request body is larger than the proxy's limit of ${limit} bytes`, 413, 'payload_too_large');
  }
}

export class UpstreamUnreachableError extends HttpError {
  constructor(detail: string) {
    super(`Backend unreachable: ${detail}`, 502, 'upstream_unreachable');
  }
}

export class UpstreamFailedError extends HttpError {
  constructor(detail: string) {
    super(`Backend failed while sending its answer: ${detail}`, 502, 'upstream_failed');
  }
}

export class UpstreamTimeoutError extends HttpError {
  constructor(timeoutMs: number) {
    super(`Backend sent no response within ${timeoutMs} ms`, 504, 'upstream_timeout');
  }
}

/** A stream that went silent for longer than STREAM_IDLE_TIMEOUT_MS after it had started. */
export class UpstreamIdleError extends HttpError {
  constructor(idleMs: number) {
    super(`The backend sent nothing for ${idleMs} ms; the stream was cut`, 504, 'upstream_idle_timeout');
  }
}

export class ClientClosedError extends HttpError {
  constructor() {
    super('Client closed the request before the answer was complete', 499, 'client_closed_request', { type: 'api_error' });
  }
}

/** Anything that is not an HttpError is an internal fault: its details stay on the console. */
export function internalError(): HttpError {
  return new HttpError('Internal server error', 500, 'internal_error');
}
