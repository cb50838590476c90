/* What the bench reads from the operating system (bench_int.h): a process's
 * CPU time and memory from /proc, its own CPU time, and the open-files limit
 * it raises to hold thousands of sockets. Linux /proc only: elsewhere the
 * server figures are reported as unknown. */
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "bench/bench_int.h"
#include "core/err.h"

int bench_proc_mem(int pid, bench_mem *m) {
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/status", pid);
    FILE *f = fopen(path, "r");
    if (!f) return HARK_ENOTFOUND;
    char line[256];
    m->rss_kb = m->hwm_kb = -1;
    while (fgets(line, sizeof line, f)) {
        long long v;
        if (sscanf(line, "VmRSS: %lld", &v) == 1)
            m->rss_kb = v;
        else if (sscanf(line, "VmHWM: %lld", &v) == 1)
            m->hwm_kb = v;
    }
    fclose(f);
    return m->rss_kb < 0 ? HARK_EIO : 0;
}

int bench_proc_cpu(int pid, double *seconds) {
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f) return HARK_EIO;
    char line[1024];
    char *ok = fgets(line, sizeof line, f);
    fclose(f);
    if (!ok) return HARK_EIO;
    /* The command name (field 2) may hold spaces and parentheses: fields are
     * counted from the last ')'. utime and stime are fields 14 and 15. */
    char *p = strrchr(line, ')');
    if (!p) return HARK_EIO;
    unsigned long long ut, st;
    if (sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2) return HARK_EIO;
    long hz = sysconf(_SC_CLK_TCK);
    if (hz <= 0) return HARK_EIO;
    *seconds = (double)(ut + st) / (double)hz;
    return 0;
}

double bench_self_cpu(void) {
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0) return 0;
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
           (double)ru.ru_stime.tv_usec / 1e6;
}

int bench_raise_nofile(uint64_t *limit) {
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return HARK_EIO;
    if (rl.rlim_cur != rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &rl) != 0) return HARK_EIO;
    }
    *limit = (uint64_t)rl.rlim_cur;
    return 0;
}
