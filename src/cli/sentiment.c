/* `hark sentiment`: the command line of the nlp scorer. Parses the rule
 * options and hands stdin and stdout to nlp_sentiment_cli. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "nlp/flags.h"
#include "nlp/sentiment.h"

static void usage(FILE *f) {
    size_t n;
    const nlp_rule_info *rules = nlp_rule_list(&n);
    fprintf(f, "usage: hark sentiment [--compat] [--without RULE[,RULE...]] < texts\n"
               "Scores one text per line (UTF-8, up to 65536 bytes) and writes one line per text:\n"
               "compound, pos, neu, neg and red flags (kind:severity, comma-separated), tab-separated.\n"
               "  --compat        VADER's reference rules and lexicon alone (vader-sentiment 1.1.3)\n"
               "  --without RULE  leave out one of Hark's additions (to measure it):\n");
    for (size_t i = 0; i < n; i++) fprintf(f, "      %-12s %s\n", rules[i].name, rules[i].what);
}

/* Clears the rules named in the comma-separated LIST from *RULES. Returns 0, or -1 naming the bad one. */
static int without(const char *list, unsigned *rules) {
    size_t n;
    const nlp_rule_info *info = nlp_rule_list(&n);
    while (*list) {
        size_t len = strcspn(list, ",");
        size_t i = 0;
        while (i < n && !(strlen(info[i].name) == len && !strncmp(info[i].name, list, len))) i++;
        if (i == n) {
            fprintf(stderr, "hark sentiment: unknown rule '%.*s' for --without\n", (int)len, list);
            return -1;
        }
        *rules &= ~info[i].bit;
        list += len + (list[len] == ',');
    }
    return 0;
}

int cli_sentiment(int argc, char **argv) {
    unsigned rules = NLP_RULES_DEFAULT;
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--compat")) {
            rules = NLP_RULES_COMPAT;
        } else if (!strcmp(argv[i], "--without") && i + 1 < argc) {
            if (without(argv[++i], &rules)) return 2;
        } else if (!strncmp(argv[i], "--without=", 10)) {
            if (without(argv[i] + 10, &rules)) return 2;
        } else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout);
            return 0;
        } else {
            fprintf(stderr, "hark sentiment: unknown argument '%s'\n", argv[i]);
            usage(stderr);
            return 2;
        }
    }
    char err[256];
    if (nlp_flags_init(err, sizeof err)) {
        fprintf(stderr, "hark sentiment: red-flag rules: %s\n", err);
        return 1;
    }
    return nlp_sentiment_cli(stdin, stdout, rules) ? 1 : 0;
}
