// A real OpenID Connect provider for the single sign-on tests (tests/sso): the certified
// `oidc-provider` package, pinned in package.json/package-lock.json, with its development
// interactions (any login name signs in as that account, the password is not checked; the
// consent page has one "Continue" button), one confidential client and the accounts a JSON file
// gives. Nothing here is for production.
//
//   node provider.mjs PORT CLIENT_ID CLIENT_SECRET REDIRECT_URI ACCOUNTS_JSON
//
// PORT 0 takes a free port (no race with another process picking the same one).
// ACCOUNTS_JSON: {"<login>": {"email": …, "email_verified": …, "name": …, "<any claim>": …}}.
// The issuer is http://127.0.0.1:<port>. Claims other than the standard ones are released with
// the `profile` scope; per the specification (conformIdTokenClaims) the ID token of the code
// flow carries `sub` and the protocol claims, and the others come from the userinfo endpoint.
// Prints "ready <issuer>" once listening; stops on SIGTERM/SIGINT.

import { readFileSync } from 'node:fs';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';

import Provider from 'oidc-provider';

const [port, clientId, clientSecret, redirectUri, accountsFile] = process.argv.slice(2);
if (!accountsFile) {
  console.error('usage: node provider.mjs PORT CLIENT_ID CLIENT_SECRET REDIRECT_URI ACCOUNTS_JSON');
  process.exit(2);
}
const accounts = JSON.parse(readFileSync(accountsFile, 'utf8'));
const standard = new Set(['sub', 'email', 'email_verified']);
const extraClaims = [...new Set(Object.values(accounts).flatMap(Object.keys))]
  .filter((claim) => !standard.has(claim));

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingKey = { ...privateKey.export({ format: 'jwk' }), alg: 'RS256', use: 'sig', kid: 'k1' };
const server = createServer();
await new Promise((resolve) => { server.listen(Number(port), '127.0.0.1', resolve); });
const issuer = `http://127.0.0.1:${server.address().port}`;

const provider = new Provider(issuer, {
  clients: [{
    client_id: clientId,
    client_secret: clientSecret,
    redirect_uris: [redirectUri],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
  }],
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name', ...extraClaims.filter((claim) => claim !== 'name')],
  },
  scopes: ['openid', 'email', 'profile'],
  pkce: { required: () => true },
  features: { devInteractions: { enabled: true } },
  cookies: { keys: [randomBytes(32).toString('base64url')] },
  jwks: { keys: [signingKey] },
  async findAccount(ctx, id) {
    const claims = accounts[id];
    if (claims === undefined) {
      return undefined;
    }
    return {
      accountId: id,
      async claims() {
        return { ...claims, sub: id };
      },
    };
  },
});

server.on('request', provider.callback());
console.log(`ready ${issuer}`);
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => server.close(() => process.exit(0)));
}
