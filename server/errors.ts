import { GraphQLError } from 'graphql';

/**
 * Errors the proxy itself produces. Each carries an HTTP status and an OpenAI error code; they are
 * rendered once, by `errorResponse`, in OpenAI's `{"error":{message,type,param,code}}` shape.
 */
export class ProxyError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly type: string,
    readonly code: string,
    readonly param: string | null = null,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class BadRequestError extends ProxyError {
  constructor(message: string, code = 'invalid_request', param: string | null = null) {
    super(message, 400, 'invalid_request_error', code, param);
  }
}

export class ModelNotFoundError extends ProxyError {
  constructor(model: string, reason: 'unknown' | 'disabled') {
    const why = reason === 'disabled' ? 'is disabled' : 'does not exist';
    const shown = model.length > 256 ? `${model.slice(0, 256)}…` : model;
    super(`The model \`${shown}\` ${why} on this proxy`, 404, 'invalid_request_error', 'model_not_found', 'model');
  }
}

export class NotFoundError extends ProxyError {
  constructor(message: string) {
    super(message, 404, 'invalid_request_error', 'not_found');
  }
}

export class PayloadTooLargeError extends ProxyError {
  constructor(limit: number) {
    super(`Request body is larger than the proxy's limit of ${limit} bytes`, 413, 'invalid_request_error', 'payload_too_large');
  }
}

export class UpstreamUnreachableError extends ProxyError {
  constructor(detail: string) {
    super(`Backend unreachable: ${detail}`, 502, 'api_error', 'upstream_unreachable');
  }
}

export class UpstreamTimeoutError extends ProxyError {
  constructor(timeoutMs: number) {
    super(`Backend sent no response within ${timeoutMs} ms`, 504, 'api_error', 'upstream_timeout');
  }
}

export class ClientClosedError extends ProxyError {
  constructor() {
    super('Client closed the request before the answer was complete', 499, 'api_error', 'client_closed_request');
  }
}

export function errorBody(err: ProxyError): string {
  return JSON.stringify({ error: { message: err.message, type: err.type, param: err.param, code: err.code } });
}

export function errorResponse(err: ProxyError): Response {
  return new Response(errorBody(err), {
    status: err.status,
    headers: { 'content-type': 'application/json' },
  });
}

/** Anything that is not a ProxyError is an internal fault: its details stay on the console. */
export function internalError(): ProxyError {
  return new ProxyError('Internal proxy error', 500, 'api_error', 'internal_error');
}

/**
 * Expected failures of admin operations are GraphQLErrors with a code, so Yoga shows them as they
 * are (its error masking hides everything else) and does not log them as faults.
 */
export class InputError extends GraphQLError {
  constructor(message: string, readonly field: string | null = null) {
    super(message, { extensions: { code: 'BAD_USER_INPUT', field } });
    this.name = 'InputError';
  }
}

/** An admin operation named something that does not exist. */
export class MissingError extends GraphQLError {
  constructor(message: string) {
    super(message, { extensions: { code: 'NOT_FOUND' } });
    this.name = 'MissingError';
  }
}
