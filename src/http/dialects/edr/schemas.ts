/** EDR mobile style: the route schemas (fastify validates bodies with them; @fastify/swagger documents them). */
import { FastifySchema } from 'fastify';
import { nonEmpty, object } from '../../schema-parts';

export interface CredentialsBody {
  username: string;
  password: string;
}

export interface LoginBody extends CredentialsBody {
  jwt: string;
}

export interface RefreshBody {
  refreshToken: string;
}

const tags = ['edr'];

export const accountStep: FastifySchema = {
  tags,
  operationId: 'edrAccountStep',
  summary: 'Account step: the account credentials for a short-lived mobile JWT bound to that account.',
  body: object({ username: nonEmpty(), password: nonEmpty() }),
};

export const login: FastifySchema = {
  tags,
  operationId: 'edrLogin',
  summary: 'Login: credentials plus the mobile JWT of the same account; answers the access token and the user.',
  body: object({ username: nonEmpty(), password: nonEmpty(), jwt: nonEmpty('The mobile JWT of the account step; must be for the same account.') }),
};

export const refresh: FastifySchema = {
  tags,
  operationId: 'edrRefresh',
  summary: 'Our addition (the original has none): spend a refresh token for a new access token and the next refresh token.',
  body: object({ refreshToken: nonEmpty() }),
};
