/* bench: the load generator behind `hark bench`. It drives a running Hark
 * server over real WebSockets from one libuv loop, the way many employees
 * would, and reports throughput, acknowledgement latency, errors and CPU.
 * It makes its own fixtures (tenant "bench", employees, the "bench-loop"
 * flow, one invite per connection) through the store. It is a client of the
 * server, not part of it: nothing here runs inside `hark serve`. */
#ifndef HARK_BENCH_H
#define HARK_BENCH_H

#include "core/config.h"

/* Runs one bench subcommand. ARGV[0] is the word after "bench" ("chat" or
 * "idle"); the remaining arguments are its flags (configuration flags such as
 * --data-dir are already folded into CFG, which names the database and the
 * secret key the fixtures are made with). Prints the report on stdout and
 * returns the process exit code: 0 done, 1 runtime failure, 2 bad usage (the
 * message names the flag and the problem). */
int bench_main(const hark_config *cfg, int argc, char **argv);

#endif
