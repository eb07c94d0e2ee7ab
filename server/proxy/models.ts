/** GET /v1/models and /v1/models/{id}: the proxy's own model names, from the in-memory route table. */
import type { Json } from '../json.ts';
import { allowsModel } from '../keys/service.ts';
import type { ApiKeyRow } from '../store/types.ts';
import { BadRequestError, ModelNotFoundError } from '../errors.ts';
import type { Exchange } from './exchange.ts';
import { jsonAnswer } from './respond.ts';
import type { RouteTable } from './route.ts';

export const isModelsPath = (method: string, subpath: string) =>
  method === 'GET' && (subpath === '/models' || subpath.startsWith('/models/'));

/** With a client key, only the models it may use are listed (and found). */
export function listModels(o: { exchange: Exchange; routes: RouteTable; subpath: string; key?: ApiKeyRow | null }): Response {
  const key = o.key ?? null;
  const models: { [key: string]: Json }[] = o.routes.models().filter((m) => key === null || allowsModel(key, m.id)).map((m) => ({
    id: m.id, object: 'model', created: Math.floor(m.created.getTime() / 1000), owned_by: 'lite-proxy',
  }));
  if (o.subpath === '/models') return jsonAnswer(o.exchange, 200, { object: 'list', data: models });
  let id: string;
  try {
    id = decodeURIComponent(o.subpath.slice('/models/'.length));
  } catch {
    throw new BadRequestError('The model id in the path is not validly percent-encoded', 'invalid_model');
  }
  o.exchange.requestedModel(id);
  const model = models.find((m) => m.id === id);
  if (!model) throw new ModelNotFoundError(id, 'unknown');
  return jsonAnswer(o.exchange, 200, model);
}
