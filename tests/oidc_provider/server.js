// A real OpenID provider for lineage's sign-in tests: panva's oidc-provider (OpenID Certified),
// on loopback, with one confidential client that must use PKCE, a few accounts carrying a role
// claim, and a plain username/password form (no script) for the browser to fill in.
//
//   OIDC_PORT=5xxxx OIDC_REDIRECT_URI=http://127.0.0.1:8080/ui/login/oidc/callback \
//   OIDC_CLIENT_SECRET=... node server.js
//
// The issuer is http://localhost:<port> while lineage serves on 127.0.0.1: two different sites
// to the browser, as a company's provider and lineage are, so the tests see the cookies the
// browser really sends on the way back. Keys are made at start; nothing is written to disk.

import http from 'node:http';
import { generateKeyPairSync, randomBytes } from 'node:crypto';

import Provider from 'oidc-provider';

const port = Number(process.env.OIDC_PORT || process.argv[2]);
const listenHost = process.env.OIDC_LISTEN_HOST || '127.0.0.1';
const issuer = process.env.OIDC_ISSUER || `http://localhost:${port}`;
const clientId = process.env.OIDC_CLIENT_ID || 'lineage';
const clientSecret = process.env.OIDC_CLIENT_SECRET;
const redirectUri = process.env.OIDC_REDIRECT_URI;
const roleClaim = process.env.OIDC_ROLE_CLAIM || 'lineage_roles';

if (!port || !clientSecret || !redirectUri) {
  console.error('needs OIDC_PORT (or a port argument), OIDC_CLIENT_SECRET and OIDC_REDIRECT_URI');
  process.exit(2);
}

// username -> password and claims. The role claim holds the provider's group names, which
// lineage's LINEAGE_OIDC_ROLE_MAP turns into its own roles.
const ACCOUNTS = {
  dana: { password: 'dana-password', name: 'Dana Privacy', roles: ['staff', 'lineage-dpo'] },
  vic: { password: 'vic-password', name: 'Vic Viewer', roles: ['lineage-viewer'] },
  ada: { password: 'ada-password', name: 'Ada Admin', roles: ['lineage-dpo', 'lineage-admin'] },
  nora: { password: 'nora-password', name: 'Nora <b>No-Role</b>', roles: ['marketing'] },
  // A name a browser would run if it were echoed unescaped, and no role lineage maps.
  mallory: { password: 'mallory-password', name: '<img src=x onerror=alert(1)>', roles: ['<script>x</script>'] },
};

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingKey = { ...privateKey.export({ format: 'jwk' }), kid: randomBytes(8).toString('hex'), alg: 'RS256', use: 'sig' };

const configuration = {
  clients: [
    {
      client_id: clientId,
      client_secret: clientSecret,
      redirect_uris: [redirectUri],
      response_types: ['code'],
      grant_types: ['authorization_code'],
      token_endpoint_auth_method: 'client_secret_basic',
    },
  ],
  // PKCE with S256 only, on every authorization request, even for this confidential client: a
  // request without a code_challenge (or with the plain method) is refused.
  pkce: { methods: ['S256'], required: () => true },
  jwks: { keys: [signingKey] },
  cookies: { keys: [randomBytes(32).toString('hex')] },
  claims: {
    openid: ['sub'],
    profile: ['name', 'preferred_username', roleClaim],
    email: ['email', 'email_verified'],
  },
  // The scopes' claims go in the ID token too (as Keycloak's and Entra ID's role claims do).
  conformIdTokenClaims: false,
  features: { devInteractions: { enabled: false } },
  interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
  // A first-party client: the grant is given at login, with no consent page.
  async loadExistingGrant(ctx) {
    const grantId = ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) return ctx.oidc.provider.Grant.find(grantId);
    const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
    grant.addOIDCScope(ctx.oidc.requestParamScopes ? [...ctx.oidc.requestParamScopes].join(' ') : 'openid');
    await grant.save();
    return grant;
  },
  async findAccount(_ctx, id) {
    const account = ACCOUNTS[id];
    if (!account) return undefined;
    return {
      accountId: id,
      async claims() {
        return {
          sub: id,
          preferred_username: id,
          name: account.name,
          email: `${id}@example.test`,
          email_verified: true,
          [roleClaim]: account.roles,
        };
      },
    };
  },
};

const provider = new Provider(issuer, configuration);
const providerCallback = provider.callback();

function escape(text) {
  return String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function loginPage(uid, error) {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Test provider: sign in</title></head>
<body><h1>Test provider</h1>
${error ? `<p id="provider-error">${escape(error)}</p>` : ''}
<form method="post" action="/interaction/${escape(uid)}/login">
<label>Username <input name="username" autocomplete="username" required autofocus></label>
<label>Password <input name="password" type="password" autocomplete="current-password" required></label>
<button type="submit" id="provider-sign-in">Sign in</button>
</form></body></html>`;
}

async function readForm(req) {
  let body = '';
  for await (const chunk of req) {
    body += chunk;
    if (body.length > 10000) throw new Error('form too large');
  }
  return new URLSearchParams(body);
}

async function interaction(req, res, uid, action) {
  const details = await provider.interactionDetails(req, res);
  if (details.uid !== uid || details.prompt.name !== 'login') {
    res.writeHead(400, { 'content-type': 'text/plain' }).end('unexpected interaction');
    return;
  }
  if (req.method === 'GET' && !action) {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(loginPage(uid));
    return;
  }
  if (req.method === 'POST' && action === '/login') {
    const form = await readForm(req);
    const username = form.get('username') || '';
    const account = Object.hasOwn(ACCOUNTS, username) ? ACCOUNTS[username] : undefined;
    if (!account || account.password !== form.get('password')) {
      res.writeHead(401, { 'content-type': 'text/html; charset=utf-8' }).end(loginPage(uid, 'Wrong username or password.'));
      return;
    }
    await provider.interactionFinished(req, res, { login: { accountId: username } }, { mergeWithLastSubmission: false });
    return;
  }
  res.writeHead(405, { 'content-type': 'text/plain' }).end('method not allowed');
}

const server = http.createServer((req, res) => {
  const match = new URL(req.url, issuer).pathname.match(/^\/interaction\/([A-Za-z0-9_-]+)(\/login)?$/);
  if (!match) {
    providerCallback(req, res);
    return;
  }
  interaction(req, res, match[1], match[2]).catch((err) => {
    console.error('interaction failed:', err.message);
    if (!res.headersSent) res.writeHead(400, { 'content-type': 'text/plain' });
    res.end(`interaction failed: ${err.message}`);
  });
});

server.listen(port, listenHost, () => {
  console.log(`oidc-provider ${issuer} listening on ${listenHost}:${port}`);
});

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => server.close(() => process.exit(0)));
}
