import { Dialect } from '../../dialect';

/** Monogoto-style POST /Auth (to be written). */
export const monogoto: Dialect = {
  name: 'monogoto',
  prefixes: [],
  register: () => undefined,
  fallback: (reply, status) => reply.code(status).send({ __type: 'InternalErrorException', message: 'not implemented' }),
};
