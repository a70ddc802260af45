/** Monogoto style: the route schemas (fastify validates bodies with them; @fastify/swagger documents them). */
import { FastifySchema } from 'fastify';
import { nonEmpty, object } from '../../schema-parts';

export interface LoginBody {
  UserName: string;
  Password: string;
}

export interface RefreshBody {
  refreshToken: string;
}

const tags = ['monogoto'];

export const login: FastifySchema = {
  tags,
  operationId: 'monogotoAuth',
  summary: 'Log in; answers the session, the user and the permissions of their profile.',
  body: object({ UserName: nonEmpty(), Password: nonEmpty() }),
};

export const refresh: FastifySchema = {
  tags,
  operationId: 'monogotoRefresh',
  summary: 'Spend a refresh token for a new access token and the next refresh token.',
  body: object({ refreshToken: nonEmpty('The refresh token of the last login or refresh; single use.') }),
};
