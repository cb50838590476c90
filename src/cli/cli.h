/* The commands of the `hark` binary, one function each, called by main.c
 * with the loaded configuration and the arguments that follow the command
 * word (configuration flags already consumed). Each returns the process exit
 * code: 0 ok, 1 runtime failure, 2 bad usage or configuration (after printing
 * a message that names the flag or key and the problem). */
#ifndef HARK_CLI_H
#define HARK_CLI_H

#include "core/config.h"
#include "outreach/outreach.h"
#include "store/store.h"

int cli_serve(const hark_config *cfg, const char *modules, int argc, char **argv);
int cli_migrate(const hark_config *cfg, int argc, char **argv);
int cli_demo(const hark_config *cfg, int argc, char **argv);
int cli_tenant(const hark_config *cfg, int argc, char **argv);
int cli_invite(const hark_config *cfg, int argc, char **argv);
/* `hark escalations --tenant SLUG`: the tenant's red-flag escalations, oldest
 * first, as TSV (no answer text). */
int cli_escalations(const hark_config *cfg, int argc, char **argv);
/* `hark import employees --tenant SLUG FILE.csv|-` (cli/import.c): the employee
 * CSV import, all or nothing; problems as FILE:LINE:COLUMN: message. */
int cli_import(const hark_config *cfg, int argc, char **argv);

/* `hark outreach [--once]` and `hark outreach status --tenant SLUG [--days N]`
 * (cli/outreach.c). */
int cli_outreach(const hark_config *cfg, int argc, char **argv);
/* Opens the database for the outreach module (cli_open_store, with
 * durability normal where the configuration says full: see outreach.c). */
int cli_open_outreach_store(const hark_config *cfg, store **out);
/* Fills O from the configuration (mail transport, rate, retries, the key);
 * MAIL_URL and PUBLIC_URL hold strings O points to. 0, or 1 after printing
 * why. */
int cli_outreach_opts(const hark_config *cfg, outreach_opts *o, char *mail_url, size_t url_cap, char *public_url,
                      size_t public_cap);

/* Outreach settings (cli/outreach_admin.c): `hark touchpoint list|set`,
 * `hark schedule --tenant SLUG [...]`, `hark template set|show`. */
int cli_touchpoint(const hark_config *cfg, int argc, char **argv);
int cli_schedule(const hark_config *cfg, int argc, char **argv);
int cli_template(const hark_config *cfg, int argc, char **argv);
/* `hark user add --tenant SLUG --email EMAIL --role ROLE [--departments "A,B"]`
 * (cli/user.c): an HR user with a one-time password. */
int cli_user(const hark_config *cfg, int argc, char **argv);

/* ---- shared by the commands (common.c) ---- */

/* Looks for --NAME VALUE or --NAME=VALUE in ARGV and returns VALUE, or NULL.
 * Marks the arguments it used so cli_check_unused can report the rest. */
const char *cli_opt(int argc, char **argv, const char *name, unsigned char *used);
/* Prints "hark CMD: unknown argument 'X'" for the first unused argument and
 * returns 2; 0 when all were used. */
int cli_check_unused(const char *cmd, int argc, char **argv, const unsigned char *used);

/* Creates the data directory, opens the database, applies migrations and
 * stores the default flows. Returns 0 and *OUT, or an exit code (1 or 2) after
 * printing why. */
int cli_open_store(const hark_config *cfg, store **out);

/* Loads (or creates) the instance secret key in the data directory. */
int cli_load_key(const hark_config *cfg, unsigned char key[32]);

/* Creates a tenant with the default touchpoints and an owner account with a
 * random password, written to PASSWORD (at least 24 bytes). Returns 0,
 * HARK_EEXISTS when the slug is taken, or another Hark code. */
int cli_provision_tenant(store_conn *c, const char *slug, const char *name, const char *tz, const char *admin_email,
                         store_tenant *t, char *password, size_t cap);

/* Creates an invite of EMPLOYEE to TOUCHPOINT (name) expiring after the
 * configured TTL and writes its chat URL into URL. Returns a Hark code. */
int cli_make_invite(const hark_config *cfg, store_conn *c, const unsigned char key[32], int64_t tenant_id,
                    int64_t employee_id, const char *touchpoint, char *url, size_t cap);

/* `hark sentiment [--compat] [--without RULE,...]`: scores stdin line by line
 * (nlp_sentiment_cli). Returns the exit code. */
int cli_sentiment(int argc, char **argv);

/* `hark themes [--top N] [--min-phrase N]`: the most used terms and phrases of
 * the comments on stdin, one per line, with counts and mean sentiment as TSV
 * (cli/themes.c). Returns the exit code. */
int cli_themes(int argc, char **argv);
/* hark routes [--json]: the API's endpoints and who may call them. */
int cli_routes(int argc, char **argv);

#endif
