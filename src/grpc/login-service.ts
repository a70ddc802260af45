import { LoginServer } from '../gen/gsdk/login/login';
import { Peer } from '../core/peer';
import { GrpcDeps, publicUnary } from './call';

/** A login answers at once when its tenant is cached, later when the store had to be asked. */
const whenIssued = <R>(token: string | Promise<string>, answer: (jwtToken: string) => R): R | Promise<R> =>
  token instanceof Promise ? token.then(answer) : answer(token);

const tenantOf = (peer: Peer | undefined) => (peer && 'tenantId' in peer.identity ? peer.identity.tenantId : undefined);

export function createLoginService(deps: GrpcDeps): LoginServer {
  const { auth } = deps;
  return {
    login: publicUnary(deps, 'Login.Login', (req, ctx) =>
      whenIssued(auth.login(ctx.peer, req.tenantCert), (jwtToken) => {
        ctx.info({ tenant: tenantOf(ctx.peer) }, 'login');
        return { jwtToken };
      }),
    ),
    loginAdmin: publicUnary(deps, 'Login.LoginAdmin', (req, ctx) =>
      whenIssued(auth.loginAdmin(ctx.peer, req.adminTenantCert, req.tenantID), (jwtToken) => {
        ctx.info({ tenant: req.tenantID }, 'administrator login');
        return { jwtToken };
      }),
    ),
    logout: publicUnary(deps, 'Login.Logout', async (_req, ctx) => {
      const token = await auth.logout(ctx.peer, ctx.token);
      ctx.info({ tenant: token.tenantId, jti: token.jti }, 'logout');
      return {};
    }),
  };
}
