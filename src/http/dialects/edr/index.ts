import { Dialect } from '../../dialect';

/** EDR mobile /mobile/v1/auth (to be written). */
export const edr: Dialect = {
  name: 'edr',
  prefixes: [],
  register: () => undefined,
  fallback: (reply, status) => reply.code(status).send({ __type: 'InternalErrorException', message: 'not implemented' }),
};
