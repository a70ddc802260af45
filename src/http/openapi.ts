/** The OpenAPI 3.1 document of the HTTP bridge, served at /openapi.json; its parts live in ./openapi/. */
export { OPENAPI } from './openapi/document';
export type { OpenApiDocument } from './openapi/types';
