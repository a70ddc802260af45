/** The OpenAPI 3.1 document of the HTTP bridge, served at /openapi.json. */
export const OPENAPI = {
  openapi: '3.1.0',
  info: { title: 'master-gateway HTTP bridge', version: '0.1.0', description: 'REST login dialects over one identity core.' },
  paths: {} as Record<string, unknown>,
};
