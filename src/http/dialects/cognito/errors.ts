import { FastifyReply } from 'fastify';

/** The Cognito error types this dialect answers with (AWS JSON protocol names). */
export type CognitoErrorType =
  | 'NotAuthorizedException'
  | 'TooManyRequestsException'
  | 'InvalidParameterException'
  | 'InvalidPasswordException'
  | 'UnknownOperationException'
  | 'InternalErrorException'
  | 'ServiceUnavailable';

/** Cognito's error body `{__type, message}`; the type is also sent as `x-amzn-errortype`, which AWS SDKs read first. */
export function cognitoError(reply: FastifyReply, status: number, type: CognitoErrorType, message: string): FastifyReply {
  return reply.code(status).header('x-amzn-errortype', type).send({ __type: type, message });
}

export const BAD_CREDENTIALS = 'Incorrect username or password.';
export const INVALID_SESSION = 'Invalid session for the user.';
export const INVALID_REFRESH_TOKEN = 'Invalid Refresh Token';
export const RATE_EXCEEDED = 'Rate exceeded';
export const UNREADABLE_BODY = 'Request body must be a JSON object.';
export const WRONG_CONTENT_TYPE = 'Content-Type must be application/x-amz-json-1.1 or application/json.';
export const PASSWORD_POLICY = 'Password does not conform to policy: Password must be between 8 and 1024 characters.';
export const missingParameter = (name: string) => `Missing or invalid parameter ${name}.`;

/** The router's statuses (unknown route, body too large, unreadable request, crash) in Cognito's shape. */
export function cognitoFallback(reply: FastifyReply, status: number): FastifyReply {
  // AWS's common 503 error: SDKs retry it (after the Retry-After the error handler sets).
  if (status === 503) return cognitoError(reply, 503, 'ServiceUnavailable', 'Service unavailable, try again later.');
  if (status >= 500) return cognitoError(reply, 500, 'InternalErrorException', 'Internal error.');
  if (status === 404) return cognitoError(reply, 404, 'UnknownOperationException', 'Unknown operation.');
  if (status === 413) return cognitoError(reply, 413, 'InvalidParameterException', 'Request body is too large.');
  return cognitoError(reply, 400, 'InvalidParameterException', UNREADABLE_BODY);
}
