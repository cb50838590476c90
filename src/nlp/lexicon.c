/* Lookups in the generated lexicon (lexicon.h). The table itself is written
 * by tools/lexgen.c into the build directory; this file only probes it. */
#include <string.h>

#include "core/err.h"
#include "nlp/lexicon.h"

extern const uint16_t nlp_lex_slots[];
extern const uint32_t nlp_lex_mask;

const nlp_lex_entry *nlp_lexicon_find_hashed(const char *word, size_t len, uint32_t hash) {
    for (uint32_t h = hash & nlp_lex_mask;; h = (h + 1) & nlp_lex_mask) {
        unsigned slot = nlp_lex_slots[h];
        if (slot == 0) return NULL;
        const nlp_lex_entry *e = &nlp_lex_entries[slot - 1];
        if (e->len == len && memcmp(e->word, word, len) == 0) return e;
    }
}

int nlp_lexicon_check(void) {
    for (size_t i = 0; i < nlp_lex_nentries; i++) {
        const nlp_lex_entry *e = &nlp_lex_entries[i];
        if (e->len == 0 || e->len != strlen(e->word) || nlp_lexicon_find(e->word, e->len) != e) return HARK_EINVAL;
        for (size_t k = 0; k < e->len; k++)
            if (e->word[k] >= 'A' && e->word[k] <= 'Z') return HARK_EINVAL;
        if (e->flags == 0) return HARK_EINVAL;
    }
    for (size_t i = 0; i < nlp_lex_nphrases; i++) {
        const nlp_lex_phrase *p = &nlp_lex_phrases[i];
        if (p->n < 2 || p->n > NLP_LEX_PHRASE_WORDS) return HARK_EINVAL;
        const nlp_lex_entry *head = nlp_lexicon_find(p->words[0], p->lens[0]);
        if (!head || !(head->flags & NLP_LEX_PHRASE)) return HARK_EINVAL;
    }
    return HARK_OK;
}
