/**
 * Cognito's error answers `{__type, message}` (AWS JSON protocol; the type is also sent as
 * `x-amzn-errortype`, which AWS SDKs read first): one table from core error code, one per router
 * status, and the 429.
 */
import { FastifyReply } from 'fastify';
import { ErrorTable, FallbackKind, fallbackKind, refusalOf } from '../../error-table';
import { retryAfter } from '../../request';

/** The Cognito error types this dialect answers with. */
export type CognitoErrorType =
  | 'NotAuthorizedException'
  | 'TooManyRequestsException'
  | 'InvalidParameterException'
  | 'InvalidPasswordException'
  | 'UnknownOperationException'
  | 'InternalErrorException'
  | 'ServiceUnavailable';

interface CognitoAnswer {
  status: number;
  type: CognitoErrorType;
  message: string;
}

export function cognitoError(reply: FastifyReply, { status, type, message }: CognitoAnswer): FastifyReply {
  return reply.code(status).header('x-amzn-errortype', type).send({ __type: type, message });
}

export const UNREADABLE_BODY = 'Request body must be a JSON object.';
export const WRONG_CONTENT_TYPE = 'Content-Type must be application/x-amz-json-1.1 or application/json.';
export const missingParameter = (name: string) => `Missing or invalid parameter ${name}.`;
const BAD_CREDENTIALS = 'Incorrect username or password.';
const TOO_MANY: CognitoAnswer = { status: 429, type: 'TooManyRequestsException', message: 'Rate exceeded' };

/** A bad request body (checked by the dialect itself, before the core is asked). */
export const invalidParameter = (reply: FastifyReply, message: string) => cognitoError(reply, { status: 400, type: 'InvalidParameterException', message });

/** Core error code → Cognito's answer. */
const ERRORS: ErrorTable<CognitoAnswer> = {
  ERR_INVALID_ARGUMENT: { status: 400, type: 'InvalidParameterException', message: missingParameter('UserName') },
  ERR_INVALID_CREDENTIALS: { status: 401, type: 'NotAuthorizedException', message: BAD_CREDENTIALS },
  // Not raised here (this dialect answers with the challenge), but refused like a bad password if it were.
  ERR_PASSWORD_CHANGE_REQUIRED: { status: 401, type: 'NotAuthorizedException', message: BAD_CREDENTIALS },
  ERR_TOKEN_INVALID: { status: 401, type: 'NotAuthorizedException', message: 'Invalid Refresh Token' },
  ERR_SESSION_NOT_FOUND: { status: 401, type: 'NotAuthorizedException', message: 'Invalid session for the user.' },
  ERR_PASSWORD_POLICY: { status: 400, type: 'InvalidPasswordException', message: 'Password does not conform to policy: Password must be between 8 and 1024 characters.' },
  ERR_TOO_MANY_ATTEMPTS: TOO_MANY,
};

/** The router's statuses (unknown route, body too large, unreadable request, crash, store away). */
const FALLBACK: Record<FallbackKind, CognitoAnswer> = {
  notFound: { status: 404, type: 'UnknownOperationException', message: 'Unknown operation.' },
  tooLarge: { status: 413, type: 'InvalidParameterException', message: 'Request body is too large.' },
  badRequest: { status: 400, type: 'InvalidParameterException', message: UNREADABLE_BODY },
  internal: { status: 500, type: 'InternalErrorException', message: 'Internal error.' },
  // AWS's common 503 error: SDKs retry it (after the Retry-After the error handler sets).
  unavailable: { status: 503, type: 'ServiceUnavailable', message: 'Service unavailable, try again later.' },
};

/** A thrown error in Cognito's shape; one the table lacks is thrown on (to the 500/503 fallback). */
export function sendError(reply: FastifyReply, err: unknown): FastifyReply {
  const { row, retryAfterSeconds } = refusalOf(ERRORS, err);
  if (retryAfterSeconds !== undefined) retryAfter(reply, retryAfterSeconds);
  return cognitoError(reply, row);
}

export const fallback = (reply: FastifyReply, status: number) => cognitoError(reply, FALLBACK[fallbackKind(status)]);

export const tooMany = (reply: FastifyReply, seconds: number) => cognitoError(retryAfter(reply, seconds), TOO_MANY);
