/**
 * The SQLite side of schema.ts: the DDL of a schema version, the column lists of the statements,
 * and rows both ways. JSON columns hold JSON text, so a stored body is exactly what was logged.
 */
import type { SQLQueryBindings } from 'bun:sqlite';
import { fromJsonListText, fromJsonText, type Json, JsonText, jsonText, type LoggedJson } from '../json.ts';
import { ROLLUP_FIELDS_V4, ROLLUP_FIELDS_V5, rollupFieldsAt } from './rollup-fields.ts';
import {
  API_KEY_FIELDS, type Bodies, CONFIG_FIELDS, MODEL_GROUP_FIELDS, type FieldSpec, type FieldTable, fieldsOf, type IndexSpec, indexesAt, indexKey, type Kind, LOG_FIELDS, SQL_TYPE,
} from './schema.ts';
import type { ApiKeyPatch, ApiKeyRow, ConfigPatch, ConfigRow, LogRow, LogSummary, ModelGroupRow } from './types.ts';

export type Row = Record<string, string | number | null>;


const write: Record<Kind, (v: unknown) => SQLQueryBindings> = {
  text: (v) => (v ?? null) as string | null,
  int: (v) => (v ?? null) as number | null,
  real: (v) => (v ?? null) as number | null,
  bool: (v) => (v == null ? null : v ? 1 : 0),
  date: (v) => (v == null ? null : (v as Date).getTime()),
  json: (v) => jsonText(v as Json),
  body: (v) => jsonText(v as LoggedJson),
  chunks: (v) => jsonText(v as Json[] | null),
};

const read: Record<Kind, (v: unknown, bodies: Bodies) => unknown> = {
  text: (v) => v ?? null,
  int: (v) => v ?? null,
  real: (v) => v ?? null,
  bool: (v) => (v == null ? null : v === 1),
  date: (v) => (v == null ? null : new Date(v as number)),
  json: (v) => fromJsonText(v),
  body: (v, bodies) => (bodies === 'parsed' ? fromJsonText(v) : typeof v === 'string' ? new JsonText(v) : null),
  chunks: (v) => fromJsonListText(v),
};

function columnDef(f: FieldSpec): string {
  return `${f.column} ${SQL_TYPE[f.kind]}${f.key ? ' PRIMARY KEY' : f.nullable ? '' : ' NOT NULL'}`;
}

const createTable = (name: string, table: FieldTable, version: number) =>
  `CREATE TABLE IF NOT EXISTS ${name} (\n  ${fieldsOf(table, version).map(([, f]) => columnDef(f)).join(',\n  ')}\n);`;

// One column per counter of stats/rollup.ts, as in 0.1.0: a counter added there needs a step that adds
// its column (ALTER TABLE rollups ADD COLUMN x REAL NOT NULL DEFAULT 0), or older files cannot take it.
const ROLLUPS_TABLE_V1 = `CREATE TABLE IF NOT EXISTS rollups (
  size INTEGER NOT NULL,
  start INTEGER NOT NULL,
  -- '' stands for "no model": NULLs would not be equal in the primary key.
  model TEXT NOT NULL,
  ${rollupFieldsAt(1).map((f) => `${f} REAL NOT NULL DEFAULT 0`).join(',\n  ')},
  PRIMARY KEY (size, start, model)
) WITHOUT ROWID;`;

/**
 * Version 4: the rollups' cost counter, and the client keys' rollups (every counter, per key; size 0
 * is the key's all-time rollup).
 */
export const ROLLUPS_V4_SQL = `${ROLLUP_FIELDS_V4.map((f) => `ALTER TABLE rollups ADD COLUMN ${f} REAL NOT NULL DEFAULT 0;`).join('\n')}
CREATE TABLE IF NOT EXISTS key_rollups (
  size INTEGER NOT NULL,
  start INTEGER NOT NULL,
  api_key_id TEXT NOT NULL,
  ${rollupFieldsAt(4).map((f) => `${f} REAL NOT NULL DEFAULT 0`).join(',\n  ')},
  PRIMARY KEY (size, start, api_key_id)
) WITHOUT ROWID;`;

/**
 * Version 5: model group settings (fallbacks, attempts, statuses retried), and the rollups'
 * fallback counter.
 */
export const MODEL_GROUPS_V5_SQL = `${createTable('model_groups', MODEL_GROUP_FIELDS, 5)}
${ROLLUP_FIELDS_V5.flatMap((f) => ['rollups', 'key_rollups'].map((t) => `ALTER TABLE ${t} ADD COLUMN ${f} REAL NOT NULL DEFAULT 0;`)).join('\n')}`;

const createIndex = (i: IndexSpec) =>
  `CREATE INDEX IF NOT EXISTS ${i.name} ON ${i.table} (${i.fields.map(([f, dir]) => `${indexKey(i, f, 'sqlite')}${dir === -1 ? ' DESC' : ''}`).join(', ')});`;

/**
 * The tables and indexes of schema version `version`, each created only when missing: a 0.1.0
 * file, which has them but no version, goes through this unchanged.
 */
export function createTablesSql(version: number): string {
  if (version !== 1) throw new Error('createTablesSql makes the version 1 tables; later steps add theirs');
  const tables = [createTable('configs', CONFIG_FIELDS, version), createTable('logs', LOG_FIELDS, version), ROLLUPS_TABLE_V1];
  return [...tables, ...indexesAt(version, 'sqlite').map(createIndex)].join('\n');
}

/** The config columns of a later version (ALTER TABLE configs ADD COLUMN …). */
export function addedConfigColumnsSql(version: number): string {
  return fieldsOf(CONFIG_FIELDS).filter(([, f]) => f.since === version).map(([field, f]) => {
    if (!f.nullable) throw new Error(`configs.${field} is added in version ${version}: it must be nullable`);
    return `ALTER TABLE configs ADD COLUMN ${columnDef(f)};`;
  }).join('\n');
}

/** Column list, placeholders, bound values and the reader of one table. */
export function codec<T>(table: FieldTable, pick: (f: FieldSpec) => boolean = () => true) {
  const fields = fieldsOf(table).filter(([, f]) => pick(f));
  return {
    columns: fields.map(([, f]) => f.column).join(', '),
    placeholders: fields.map(() => '?').join(', '),
    values: (row: T): SQLQueryBindings[] => fields.map(([name, f]) => write[f.kind]((row as Record<string, unknown>)[name])),
    fromRow: (r: Row, bodies: Bodies = 'parsed'): T =>
      Object.fromEntries(fields.map(([name, f]) => [name, read[f.kind](r[f.column], bodies)])) as T,
  };
}

export const configRows = codec<ConfigRow>(CONFIG_FIELDS);
export const apiKeyRows = codec<ApiKeyRow>(API_KEY_FIELDS);
export const modelGroupRows = codec<ModelGroupRow>(MODEL_GROUP_FIELDS);

/** Schema version 3: the client keys' table, its name and public id unique. */
export const API_KEYS_TABLE_SQL = `${createTable('api_keys', API_KEY_FIELDS, 3)}
CREATE UNIQUE INDEX IF NOT EXISTS api_keys_name ON api_keys (name);
CREATE UNIQUE INDEX IF NOT EXISTS api_keys_public_id ON api_keys (public_id);`;
export const logRows = codec<LogRow>(LOG_FIELDS);
export const summaryRows = codec<LogSummary>(LOG_FIELDS, (f) => f.part === 'summary');

/** `col = ?` for each patchable field the patch sets: undefined means "leave alone", null is a value. */
export function configPatchSql(patch: ConfigPatch): { sets: string[]; params: SQLQueryBindings[] } {
  return patchSql(CONFIG_FIELDS, patch);
}

export function apiKeyPatchSql(patch: ApiKeyPatch): { sets: string[]; params: SQLQueryBindings[] } {
  return patchSql(API_KEY_FIELDS, patch);
}

function patchSql(table: FieldTable, patch: object): { sets: string[]; params: SQLQueryBindings[] } {
  const sets: string[] = [];
  const params: SQLQueryBindings[] = [];
  for (const [name, f] of fieldsOf(table)) {
    const value = (patch as Record<string, unknown>)[name];
    if (f.fixed || value === undefined) continue;
    sets.push(`${f.column} = ?`);
    params.push(write[f.kind](value));
  }
  return { sets, params };
}
