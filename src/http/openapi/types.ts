/** The parts of OpenAPI 3.1 (with its JSON Schema 2020-12 dialect) that the bridge's document uses. */

export type SchemaType = 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean' | 'null';

export interface Schema {
  $ref?: string;
  type?: SchemaType | SchemaType[];
  title?: string;
  description?: string;
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean | Schema;
  items?: Schema;
  enum?: (string | number | boolean | null)[];
  const?: string | number | boolean | null;
  format?: string;
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maxItems?: number;
  oneOf?: Schema[];
  allOf?: Schema[];
  not?: Schema;
  examples?: unknown[];
}

export interface MediaType {
  schema: Schema;
  example?: unknown;
}

export interface Header {
  description: string;
  schema: Schema;
}

export interface Response {
  description: string;
  headers?: Record<string, Header>;
  content?: Record<string, MediaType>;
}

export interface Parameter {
  name: string;
  in: 'header' | 'query' | 'path' | 'cookie';
  description: string;
  required: boolean;
  schema: Schema;
}

export interface Operation {
  tags: string[];
  operationId: string;
  summary: string;
  description?: string;
  security?: Record<string, string[]>[];
  parameters?: Parameter[];
  requestBody?: { description?: string; required: boolean; content: Record<string, MediaType> };
  responses: Record<string, Response>;
}

export type Method = 'get' | 'post' | 'put' | 'delete' | 'patch';
export type PathItem = Partial<Record<Method, Operation>>;

export type SecurityScheme =
  | { type: 'http'; scheme: 'basic' | 'bearer'; bearerFormat?: string; description: string }
  | { type: 'apiKey'; in: 'header'; name: string; description: string };

export interface Components {
  schemas: Record<string, Schema>;
  securitySchemes?: Record<string, SecurityScheme>;
}

export interface OpenApiDocument {
  openapi: `3.1.${number}`;
  info: { title: string; version: string; description: string; license?: { name: string; identifier: string } };
  tags: { name: string; description: string }[];
  paths: Record<string, PathItem>;
  components: Components;
}

/** A reference to a schema in components. */
export const ref = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` });

/** A JSON body (request or response) whose schema is a component. */
export const json = (schema: string | Schema, contentTypes: string[] = ['application/json']): Record<string, MediaType> =>
  Object.fromEntries(contentTypes.map((t) => [t, { schema: typeof schema === 'string' ? ref(schema) : schema }]));

/** An object schema whose listed properties are all required. */
export const object = (properties: Record<string, Schema>, optional: string[] = [], extra?: Partial<Schema>): Schema => ({
  type: 'object',
  properties,
  required: Object.keys(properties).filter((k) => !optional.includes(k)),
  ...extra,
});

export const string = (description?: string, extra: Partial<Schema> = {}): Schema => ({ type: 'string', ...(description ? { description } : {}), ...extra });

export const RETRY_AFTER: Record<string, Header> = {
  'Retry-After': { description: 'Seconds until the lockout ends; answered at once, never by a sleep.', schema: { type: 'integer', minimum: 1 } },
};
