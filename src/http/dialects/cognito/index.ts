import { Dialect } from '../../dialect';

/** Cognito-style POST /Login (to be written). */
export const cognito: Dialect = {
  name: 'cognito',
  prefixes: [],
  register: () => undefined,
  fallback: (reply, status) => reply.code(status).send({ __type: 'InternalErrorException', message: 'not implemented' }),
};
