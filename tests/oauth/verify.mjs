// Verifies gatehouse JWT access tokens with an independent implementation
// (panva/jose, pinned in package.json) against the server's published JWKS.
//
//   node verify.mjs --jwks URL --issuer ISS [--audience AUD] [--repeat N] TOKEN...
//
// One createRemoteJWKSet serves every token (as a resource server caching
// the JWKS would); each token must verify with typ "at+jwt" (RFC 9068),
// the issuer, the audience (when given) and an unexpired exp.  --repeat N
// verifies the whole list N times, pausing --pause-ms between rounds (a
// client that keeps its JWKS cache across a key rotation).  Prints one JSON
// line per token: {"ok":true,"header":…,"payload":…} or
// {"ok":false,"code":…,"message":…}.  Exit status 0 when every token
// verified, 1 when one failed, 2 on a usage error.
import { createRemoteJWKSet, jwtVerify } from 'jose';

function usage(msg) {
  process.stderr.write(`verify.mjs: ${msg}\n` +
    'usage: node verify.mjs --jwks URL --issuer ISS [--audience AUD] [--repeat N] ' +
    '[--pause-ms MS] TOKEN...\n');
  process.exit(2);
}

const opts = { repeat: 1, pauseMs: 0 };
const tokens = [];
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  const a = argv[i];
  const next = () => (i + 1 < argv.length ? argv[++i] : usage(`${a} needs a value`));
  if (a === '--jwks') opts.jwks = next();
  else if (a === '--issuer') opts.issuer = next();
  else if (a === '--audience') opts.audience = next();
  else if (a === '--repeat') opts.repeat = Number(next());
  else if (a === '--pause-ms') opts.pauseMs = Number(next());
  else if (a.startsWith('--')) usage(`unknown option ${a}`);
  else tokens.push(a);
}
if (!opts.jwks || !opts.issuer) usage('--jwks and --issuer are required');
if (tokens.length === 0) usage('no token given');
if (!(opts.repeat >= 1)) usage('--repeat must be at least 1');

const jwks = createRemoteJWKSet(new URL(opts.jwks), { cooldownDuration: 0 });
const check = { issuer: opts.issuer, typ: 'at+jwt', algorithms: ['ES256', 'EdDSA', 'RS256'] };
if (opts.audience !== undefined) check.audience = opts.audience;

let failed = 0;
for (let round = 0; round < opts.repeat; round++) {
  if (round > 0 && opts.pauseMs > 0) await new Promise((r) => setTimeout(r, opts.pauseMs));
  for (const token of tokens) {
    try {
      const { payload, protectedHeader } = await jwtVerify(token, jwks, check);
      console.log(JSON.stringify({ ok: true, header: protectedHeader, payload }));
    } catch (e) {
      failed++;
      console.log(JSON.stringify({ ok: false, code: e.code || e.name, message: e.message }));
    }
  }
}
process.exit(failed ? 1 : 0);
