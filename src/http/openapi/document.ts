/** The whole bridge's OpenAPI 3.1 document, assembled from one part per dialect. */
import { cognitoPaths, cognitoSchemas } from './cognito';
import { datarheiPaths, datarheiSchemas } from './datarhei';
import { edrPaths, edrSchemas } from './edr';
import { monogotoPaths, monogotoSchemas } from './monogoto';
import { tokenPaths, tokenSchemas } from './token-endpoints';
import { OpenApiDocument } from './types';

export const OPENAPI: OpenApiDocument = {
  openapi: '3.1.0',
  info: {
    title: 'master-gateway HTTP bridge',
    version: '0.1.0',
    description:
      'Four existing REST login APIs ("dialects") over one identity core, so each one’s clients log in unchanged; ' +
      'plus the JWKS, introspection and revocation for resource servers. Bodies are at most 64 KiB. ' +
      'Unknown users and wrong passwords answer alike; repeated failures lock out with 429 and Retry-After.',
    license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
  },
  tags: [
    { name: 'datarhei', description: 'datarhei Core style (/api). Refresh tokens are reusable until they expire or are revoked.' },
    { name: 'cognito', description: 'AWS Cognito style (/Login). Refresh tokens are reusable (REFRESH_TOKEN_AUTH returns none).' },
    { name: 'monogoto', description: 'Monogoto style (/Auth). Refresh tokens rotate; reuse revokes the family.' },
    { name: 'edr', description: 'EDR mobile style (/mobile/v1/auth). Refresh is our addition; its tokens rotate; reuse revokes the family.' },
    { name: 'tokens', description: 'For resource servers.' },
  ],
  paths: { ...datarheiPaths, ...cognitoPaths, ...monogotoPaths, ...edrPaths, ...tokenPaths },
  components: {
    schemas: { ...datarheiSchemas, ...cognitoSchemas, ...monogotoSchemas, ...edrSchemas, ...tokenSchemas },
    securitySchemes: {
      accessBearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'An access token of this bridge (ES256, verify with the JWKS).' },
      refreshBearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'A datarhei refresh token.' },
      externalIdpToken: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'A token of the configured external IdP (datarhei "auth0" login).' },
      introspectionClient: { type: 'http', scheme: 'basic', description: 'A resource server’s client id and secret (GATEWAY_INTROSPECTION_CLIENTS).' },
    },
  },
};
