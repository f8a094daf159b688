/* `gatehouse token verify-hash`: lets an API provider check an access token
 * a partner presents against the hash and hash method the management API
 * shows it (seed 000), without asking gatehouse. */
#ifndef GH_PORTAL_TOKEN_CLI_H
#define GH_PORTAL_TOKEN_CLI_H

/* Runs `gatehouse token verify-hash --method sha256|sha512 --hash HEX TOKEN`;
 * argv[0..argc) are the arguments after the words "token verify-hash".
 * TOKEN "-" reads the token from the first line of standard input (so it
 * stays out of the shell history).  Prints "match" or "mismatch" and
 * returns the exit status: 0 match, 1 mismatch, 2 usage error (also a hash
 * that is not hex of the method's length).  The comparison takes the same
 * time wherever the digests differ. */
int gh_cli_token_verify_hash(int argc, char **argv);

#endif
