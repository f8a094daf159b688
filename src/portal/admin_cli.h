/* `gatehouse platform-admin grant|revoke|list`: the operator's way to make
 * a person a platform admin (or not) from the machine that holds the
 * database, so that admins can use the console with their own login
 * instead of an admin API token. */
#ifndef GH_PORTAL_ADMIN_CLI_H
#define GH_PORTAL_ADMIN_CLI_H

/* Runs `gatehouse platform-admin SUBCOMMAND …`; argv[0..argc) are the words
 * after "platform-admin".  default_db is the store URL used without --db
 * (GATEHOUSE_DB wins over it, --db over both).
 *
 *   grant EMAIL    the person (a verified address) becomes a platform admin
 *   revoke EMAIL   the person is a platform admin no longer
 *   list           prints the platform admins: email, name, id (tab-separated)
 *
 * Each change is written with its audit event (actor kind "cli") in one
 * transaction and takes effect on the person's next request.  Returns the
 * exit status: 0 done (also when nothing had to change, said on stderr),
 * 1 no such person, address not verified or a store failure, 2 usage. */
int gh_cli_platform_admin(int argc, char **argv, const char *default_db);

#endif
