/** datarhei Core style: the route schemas (fastify validates bodies with them; @fastify/swagger documents them). */
import { FastifySchema } from 'fastify';
import { nonEmpty, object } from '../../schema-parts';

export interface LoginBody {
  username: string;
  password: string;
}

const tags = ['datarhei'];

export const login: FastifySchema = {
  tags,
  operationId: 'datarheiLogin',
  summary: 'Log in with username and password, or with an external IdP token and no body.',
  security: [{}, { externalIdpToken: [] }],
  body: object({ username: nonEmpty(), password: nonEmpty() }, [], {
    description: 'Extra fields are ignored. Absent for the external IdP login (Authorization: Bearer <IdP token>).',
  }),
};

export const refresh: FastifySchema = {
  tags,
  operationId: 'datarheiRefresh',
  summary: 'A new access token for a refresh token; the refresh token stays valid (clients keep it for 24 h).',
  security: [{ refreshBearer: [] }],
};

export const about: FastifySchema = {
  tags,
  operationId: 'datarheiAbout',
  summary: 'About this server; with a valid access token it also names the instance (`id`).',
  security: [{}, { accessBearer: [] }],
};
