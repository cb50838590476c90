/* The sentiment lexicon's data and lookups (lexicon.h). The valences were
 * written for Hark on VADER's -4..+4 scale: common English sentiment words
 * plus workplace terms (burnout, micromanaged, underpaid, ...). It is a first
 * lexicon, not VADER's own; keep each table in strict byte order because the
 * lookups binary-search it, and the unit tests check the order. */
#include <string.h>

#include "core/err.h"
#include "nlp/lexicon.h"

static const nlp_lex_entry lexicon[] = {
    {"abandoned", -2.1f, NLP_LEX_WORD}, {"absolutely", 0.0f, NLP_LEX_BOOST}, {"abuse", -3.0f, NLP_LEX_WORD},
    {"abused", -3.0f, NLP_LEX_WORD}, {"abusive", -3.1f, NLP_LEX_WORD}, {"accomplished", 1.9f, NLP_LEX_WORD},
    {"achieve", 1.4f, NLP_LEX_WORD}, {"achievement", 1.8f, NLP_LEX_WORD}, {"afraid", -1.9f, NLP_LEX_WORD},
    {"aggressive", -1.8f, NLP_LEX_WORD}, {"agree", 1.2f, NLP_LEX_WORD}, {"aint", 0.0f, NLP_LEX_NEGATE},
    {"almost", 0.0f, NLP_LEX_DAMP}, {"alone", -1.2f, NLP_LEX_WORD}, {"amazed", 2.3f, NLP_LEX_WORD},
    {"amazing", 2.8f, NLP_LEX_WORD}, {"amazingly", 0.0f, NLP_LEX_BOOST}, {"anger", -2.4f, NLP_LEX_WORD},
    {"angry", -2.3f, NLP_LEX_WORD}, {"annoyed", -1.6f, NLP_LEX_WORD}, {"annoying", -1.8f, NLP_LEX_WORD},
    {"anxiety", -2.0f, NLP_LEX_WORD}, {"anxious", -1.9f, NLP_LEX_WORD}, {"appreciate", 2.0f, NLP_LEX_WORD},
    {"appreciated", 2.1f, NLP_LEX_WORD}, {"appreciation", 2.0f, NLP_LEX_WORD}, {"appreciative", 1.9f, NLP_LEX_WORD},
    {"approachable", 1.7f, NLP_LEX_WORD}, {"arent", 0.0f, NLP_LEX_NEGATE}, {"arrogant", -1.9f, NLP_LEX_WORD},
    {"ashamed", -2.0f, NLP_LEX_WORD}, {"awesome", 3.1f, NLP_LEX_WORD}, {"awful", -2.8f, NLP_LEX_WORD},
    {"awkward", -1.0f, NLP_LEX_WORD}, {"bad", -2.5f, NLP_LEX_WORD}, {"badly", -2.0f, NLP_LEX_WORD},
    {"balanced", 1.2f, NLP_LEX_WORD}, {"barely", 0.0f, NLP_LEX_NEGATE}, {"beautiful", 2.6f, NLP_LEX_WORD},
    {"belittled", -2.3f, NLP_LEX_WORD}, {"belonging", 1.6f, NLP_LEX_WORD}, {"benefit", 1.2f, NLP_LEX_WORD},
    {"benefits", 1.1f, NLP_LEX_WORD}, {"best", 3.0f, NLP_LEX_WORD}, {"betrayed", -2.6f, NLP_LEX_WORD},
    {"better", 1.9f, NLP_LEX_WORD}, {"bit", 0.0f, NLP_LEX_DAMP}, {"blame", -1.6f, NLP_LEX_WORD},
    {"blamed", -1.8f, NLP_LEX_WORD}, {"bored", -1.5f, NLP_LEX_WORD}, {"boring", -1.5f, NLP_LEX_WORD},
    {"brilliant", 2.8f, NLP_LEX_WORD}, {"broken", -1.9f, NLP_LEX_WORD}, {"bullied", -2.9f, NLP_LEX_WORD},
    {"bully", -2.8f, NLP_LEX_WORD}, {"bullying", -2.9f, NLP_LEX_WORD}, {"burden", -1.6f, NLP_LEX_WORD},
    {"bureaucracy", -1.3f, NLP_LEX_WORD}, {"bureaucratic", -1.3f, NLP_LEX_WORD}, {"burned-out", -2.6f, NLP_LEX_WORD},
    {"burnedout", -2.6f, NLP_LEX_WORD}, {"burnout", -2.7f, NLP_LEX_WORD}, {"burnt-out", -2.6f, NLP_LEX_WORD},
    {"burntout", -2.6f, NLP_LEX_WORD}, {"calm", 1.3f, NLP_LEX_WORD}, {"cannot", 0.0f, NLP_LEX_NEGATE},
    {"cant", 0.0f, NLP_LEX_NEGATE}, {"care", 1.3f, NLP_LEX_WORD}, {"cared", 1.6f, NLP_LEX_WORD},
    {"careless", -1.5f, NLP_LEX_WORD}, {"caring", 2.0f, NLP_LEX_WORD}, {"celebrate", 2.3f, NLP_LEX_WORD},
    {"celebrated", 2.2f, NLP_LEX_WORD}, {"challenging", -0.4f, NLP_LEX_WORD}, {"chaos", -2.0f, NLP_LEX_WORD},
    {"chaotic", -1.9f, NLP_LEX_WORD}, {"cheerful", 2.3f, NLP_LEX_WORD}, {"clear", 1.0f, NLP_LEX_WORD},
    {"clueless", -1.5f, NLP_LEX_WORD}, {"collaborative", 1.7f, NLP_LEX_WORD}, {"comfortable", 1.6f, NLP_LEX_WORD},
    {"complain", -1.4f, NLP_LEX_WORD}, {"complaint", -1.4f, NLP_LEX_WORD}, {"complaints", -1.5f, NLP_LEX_WORD},
    {"completely", 0.0f, NLP_LEX_BOOST}, {"confident", 1.9f, NLP_LEX_WORD}, {"confused", -1.3f, NLP_LEX_WORD},
    {"confusing", -1.3f, NLP_LEX_WORD}, {"confusion", -1.3f, NLP_LEX_WORD}, {"congrats", 2.2f, NLP_LEX_WORD},
    {"congratulations", 2.4f, NLP_LEX_WORD}, {"connected", 1.3f, NLP_LEX_WORD}, {"considerably", 0.0f, NLP_LEX_BOOST},
    {"considerate", 1.7f, NLP_LEX_WORD}, {"cool", 1.3f, NLP_LEX_WORD}, {"couldnt", 0.0f, NLP_LEX_NEGATE},
    {"crap", -2.1f, NLP_LEX_WORD}, {"crappy", -2.2f, NLP_LEX_WORD}, {"crazy", -1.2f, NLP_LEX_WORD},
    {"crisis", -2.2f, NLP_LEX_WORD}, {"criticized", -1.7f, NLP_LEX_WORD}, {"cruel", -2.8f, NLP_LEX_WORD},
    {"crushed", -2.3f, NLP_LEX_WORD}, {"cry", -1.9f, NLP_LEX_WORD}, {"crying", -2.0f, NLP_LEX_WORD},
    {"dead-end", -2.0f, NLP_LEX_WORD}, {"deadend", -2.0f, NLP_LEX_WORD}, {"decent", 1.2f, NLP_LEX_WORD},
    {"deeply", 0.0f, NLP_LEX_BOOST}, {"defeated", -2.1f, NLP_LEX_WORD}, {"delighted", 2.8f, NLP_LEX_WORD},
    {"demanding", -0.8f, NLP_LEX_WORD}, {"demoralized", -2.3f, NLP_LEX_WORD}, {"demoralizing", -2.3f, NLP_LEX_WORD},
    {"demotivated", -2.1f, NLP_LEX_WORD}, {"demotivating", -2.0f, NLP_LEX_WORD}, {"depressed", -2.6f, NLP_LEX_WORD},
    {"depressing", -2.4f, NLP_LEX_WORD}, {"deserve", 0.8f, NLP_LEX_WORD}, {"desperate", -2.0f, NLP_LEX_WORD},
    {"destroyed", -2.5f, NLP_LEX_WORD}, {"didnt", 0.0f, NLP_LEX_NEGATE}, {"difficult", -1.4f, NLP_LEX_WORD},
    {"disappointed", -1.9f, NLP_LEX_WORD}, {"disappointing", -2.1f, NLP_LEX_WORD}, {"disappointment", -2.0f, NLP_LEX_WORD},
    {"disaster", -2.7f, NLP_LEX_WORD}, {"disconnected", -1.4f, NLP_LEX_WORD}, {"discouraged", -1.8f, NLP_LEX_WORD},
    {"discriminated", -2.8f, NLP_LEX_WORD}, {"discrimination", -2.8f, NLP_LEX_WORD}, {"disengaged", -1.6f, NLP_LEX_WORD},
    {"disgusting", -2.9f, NLP_LEX_WORD}, {"dishonest", -2.3f, NLP_LEX_WORD}, {"dislike", -1.7f, NLP_LEX_WORD},
    {"disliked", -1.9f, NLP_LEX_WORD}, {"disorganized", -1.7f, NLP_LEX_WORD}, {"disrespect", -2.2f, NLP_LEX_WORD},
    {"disrespected", -2.3f, NLP_LEX_WORD}, {"disrespectful", -2.2f, NLP_LEX_WORD}, {"distrust", -1.9f, NLP_LEX_WORD},
    {"doesnt", 0.0f, NLP_LEX_NEGATE}, {"dont", 0.0f, NLP_LEX_NEGATE}, {"drained", -2.0f, NLP_LEX_WORD},
    {"draining", -1.9f, NLP_LEX_WORD}, {"dread", -2.2f, NLP_LEX_WORD}, {"dreadful", -2.6f, NLP_LEX_WORD},
    {"dreading", -2.3f, NLP_LEX_WORD}, {"drowning", -2.4f, NLP_LEX_WORD}, {"dumb", -1.8f, NLP_LEX_WORD},
    {"dysfunctional", -2.1f, NLP_LEX_WORD}, {"eager", 1.5f, NLP_LEX_WORD}, {"easy", 1.6f, NLP_LEX_WORD},
    {"easygoing", 1.5f, NLP_LEX_WORD}, {"effective", 1.5f, NLP_LEX_WORD}, {"efficient", 1.4f, NLP_LEX_WORD},
    {"embarrassed", -1.6f, NLP_LEX_WORD}, {"empathetic", 1.8f, NLP_LEX_WORD}, {"empowered", 2.0f, NLP_LEX_WORD},
    {"empowering", 2.0f, NLP_LEX_WORD}, {"encouraged", 1.8f, NLP_LEX_WORD}, {"encouraging", 1.9f, NLP_LEX_WORD},
    {"energized", 1.9f, NLP_LEX_WORD}, {"engaged", 1.3f, NLP_LEX_WORD}, {"engaging", 1.6f, NLP_LEX_WORD},
    {"enjoy", 2.2f, NLP_LEX_WORD}, {"enjoyable", 2.2f, NLP_LEX_WORD}, {"enjoyed", 2.2f, NLP_LEX_WORD},
    {"enjoying", 2.3f, NLP_LEX_WORD}, {"enormously", 0.0f, NLP_LEX_BOOST}, {"enthusiastic", 2.2f, NLP_LEX_WORD},
    {"entirely", 0.0f, NLP_LEX_BOOST}, {"especially", 0.0f, NLP_LEX_BOOST}, {"excellent", 3.2f, NLP_LEX_WORD},
    {"exceptionally", 0.0f, NLP_LEX_BOOST}, {"excited", 2.3f, NLP_LEX_WORD}, {"exciting", 2.2f, NLP_LEX_WORD},
    {"excluded", -2.0f, NLP_LEX_WORD}, {"exhausted", -2.2f, NLP_LEX_WORD}, {"exhausting", -2.1f, NLP_LEX_WORD},
    {"exploited", -2.5f, NLP_LEX_WORD}, {"extremely", 0.0f, NLP_LEX_BOOST}, {"fail", -2.0f, NLP_LEX_WORD},
    {"failed", -2.1f, NLP_LEX_WORD}, {"failing", -2.1f, NLP_LEX_WORD}, {"failure", -2.3f, NLP_LEX_WORD},
    {"fair", 1.3f, NLP_LEX_WORD}, {"fairly", 0.0f, NLP_LEX_DAMP}, {"fantastic", 2.9f, NLP_LEX_WORD},
    {"favoritism", -2.0f, NLP_LEX_WORD}, {"favouritism", -2.0f, NLP_LEX_WORD}, {"fear", -2.1f, NLP_LEX_WORD},
    {"fed-up", -1.9f, NLP_LEX_WORD}, {"fedup", -1.9f, NLP_LEX_WORD}, {"fine", 0.8f, NLP_LEX_WORD},
    {"fired", -2.0f, NLP_LEX_WORD}, {"flexibility", 1.4f, NLP_LEX_WORD}, {"flexible", 1.4f, NLP_LEX_WORD},
    {"fond", 1.6f, NLP_LEX_WORD}, {"fortunate", 1.8f, NLP_LEX_WORD}, {"freaking", 0.0f, NLP_LEX_BOOST},
    {"frustrated", -2.0f, NLP_LEX_WORD}, {"frustrating", -2.0f, NLP_LEX_WORD}, {"frustration", -2.0f, NLP_LEX_WORD},
    {"fulfilled", 2.2f, NLP_LEX_WORD}, {"fulfilling", 2.2f, NLP_LEX_WORD}, {"fully", 0.0f, NLP_LEX_BOOST},
    {"fun", 2.3f, NLP_LEX_WORD}, {"funny", 1.8f, NLP_LEX_WORD}, {"furious", -2.9f, NLP_LEX_WORD},
    {"generous", 2.0f, NLP_LEX_WORD}, {"genuinely", 0.0f, NLP_LEX_BOOST}, {"glad", 2.0f, NLP_LEX_WORD},
    {"good", 1.9f, NLP_LEX_WORD}, {"gossip", -1.2f, NLP_LEX_WORD}, {"grateful", 2.1f, NLP_LEX_WORD},
    {"gratitude", 2.0f, NLP_LEX_WORD}, {"great", 3.1f, NLP_LEX_WORD}, {"greatest", 3.1f, NLP_LEX_WORD},
    {"greatly", 0.0f, NLP_LEX_BOOST}, {"grow", 1.0f, NLP_LEX_WORD}, {"growing", 1.0f, NLP_LEX_WORD},
    {"growth", 1.4f, NLP_LEX_WORD}, {"grumpy", -1.5f, NLP_LEX_WORD}, {"guilty", -1.8f, NLP_LEX_WORD},
    {"hadnt", 0.0f, NLP_LEX_NEGATE}, {"happier", 2.4f, NLP_LEX_WORD}, {"happiest", 2.9f, NLP_LEX_WORD},
    {"happily", 2.2f, NLP_LEX_WORD}, {"happiness", 2.6f, NLP_LEX_WORD}, {"happy", 2.7f, NLP_LEX_WORD},
    {"harassed", -3.0f, NLP_LEX_WORD}, {"harassment", -3.0f, NLP_LEX_WORD}, {"hard", -0.9f, NLP_LEX_WORD},
    {"hardly", 0.0f, NLP_LEX_NEGATE}, {"harsh", -1.8f, NLP_LEX_WORD}, {"hasnt", 0.0f, NLP_LEX_NEGATE},
    {"hate", -2.7f, NLP_LEX_WORD}, {"hated", -2.6f, NLP_LEX_WORD}, {"hates", -2.6f, NLP_LEX_WORD},
    {"hating", -2.5f, NLP_LEX_WORD}, {"havent", 0.0f, NLP_LEX_NEGATE}, {"helpful", 1.8f, NLP_LEX_WORD},
    {"helpless", -2.0f, NLP_LEX_WORD}, {"highly", 0.0f, NLP_LEX_BOOST}, {"hopeful", 1.8f, NLP_LEX_WORD},
    {"hopefully", 1.2f, NLP_LEX_WORD}, {"hopeless", -2.4f, NLP_LEX_WORD}, {"horrible", -2.8f, NLP_LEX_WORD},
    {"hostile", -2.4f, NLP_LEX_WORD}, {"hugely", 0.0f, NLP_LEX_BOOST}, {"humiliated", -2.6f, NLP_LEX_WORD},
    {"hurt", -2.1f, NLP_LEX_WORD}, {"ignored", -1.8f, NLP_LEX_WORD}, {"ill", -1.4f, NLP_LEX_WORD},
    {"impossible", -1.5f, NLP_LEX_WORD}, {"impressed", 2.1f, NLP_LEX_WORD}, {"impressive", 2.2f, NLP_LEX_WORD},
    {"improve", 1.2f, NLP_LEX_WORD}, {"improved", 1.6f, NLP_LEX_WORD}, {"improvement", 1.3f, NLP_LEX_WORD},
    {"improving", 1.4f, NLP_LEX_WORD}, {"inclusive", 1.9f, NLP_LEX_WORD}, {"incompetent", -2.3f, NLP_LEX_WORD},
    {"inconsistent", -1.2f, NLP_LEX_WORD}, {"incredibly", 0.0f, NLP_LEX_BOOST}, {"ineffective", -1.6f, NLP_LEX_WORD},
    {"inefficient", -1.4f, NLP_LEX_WORD}, {"insane", -1.5f, NLP_LEX_WORD}, {"insanely", 0.0f, NLP_LEX_BOOST},
    {"insecure", -1.6f, NLP_LEX_WORD}, {"inspired", 2.2f, NLP_LEX_WORD}, {"inspiring", 2.3f, NLP_LEX_WORD},
    {"insulted", -2.3f, NLP_LEX_WORD}, {"intensely", 0.0f, NLP_LEX_BOOST}, {"interesting", 1.7f, NLP_LEX_WORD},
    {"isnt", 0.0f, NLP_LEX_NEGATE}, {"isolated", -1.9f, NLP_LEX_WORD}, {"joy", 2.8f, NLP_LEX_WORD},
    {"kind", 1.6f, NLP_LEX_WORD}, {"kinda", 0.0f, NLP_LEX_DAMP}, {"lack", -1.1f, NLP_LEX_WORD},
    {"lacking", -1.3f, NLP_LEX_WORD}, {"laid-off", -2.1f, NLP_LEX_WORD}, {"laidoff", -2.1f, NLP_LEX_WORD},
    {"lame", -1.6f, NLP_LEX_WORD}, {"layoff", -2.0f, NLP_LEX_WORD}, {"layoffs", -2.1f, NLP_LEX_WORD},
    {"lazy", -1.5f, NLP_LEX_WORD}, {"learned", 1.0f, NLP_LEX_WORD}, {"learning", 1.0f, NLP_LEX_WORD},
    {"left-out", -1.8f, NLP_LEX_WORD}, {"less", 0.0f, NLP_LEX_DAMP}, {"like", 1.5f, NLP_LEX_WORD},
    {"liked", 1.8f, NLP_LEX_WORD}, {"likes", 1.6f, NLP_LEX_WORD}, {"little", 0.0f, NLP_LEX_DAMP},
    {"lonely", -2.0f, NLP_LEX_WORD}, {"lost", -1.4f, NLP_LEX_WORD}, {"love", 3.2f, NLP_LEX_WORD},
    {"loved", 2.9f, NLP_LEX_WORD}, {"lovely", 2.8f, NLP_LEX_WORD}, {"loves", 2.8f, NLP_LEX_WORD},
    {"loving", 2.9f, NLP_LEX_WORD}, {"lucky", 2.0f, NLP_LEX_WORD}, {"mad", -2.1f, NLP_LEX_WORD},
    {"majorly", 0.0f, NLP_LEX_BOOST}, {"marginally", 0.0f, NLP_LEX_DAMP}, {"meaningful", 1.9f, NLP_LEX_WORD},
    {"mediocre", -1.2f, NLP_LEX_WORD}, {"mess", -1.8f, NLP_LEX_WORD}, {"messy", -1.5f, NLP_LEX_WORD},
    {"micromanage", -1.9f, NLP_LEX_WORD}, {"micromanaged", -2.1f, NLP_LEX_WORD}, {"micromanagement", -2.0f, NLP_LEX_WORD},
    {"micromanager", -2.0f, NLP_LEX_WORD}, {"micromanaging", -2.0f, NLP_LEX_WORD}, {"mildly", 0.0f, NLP_LEX_DAMP},
    {"miserable", -2.9f, NLP_LEX_WORD}, {"mistreated", -2.6f, NLP_LEX_WORD}, {"more", 0.0f, NLP_LEX_BOOST},
    {"most", 0.0f, NLP_LEX_BOOST}, {"motivated", 1.8f, NLP_LEX_WORD}, {"motivating", 1.9f, NLP_LEX_WORD},
    {"neither", 0.0f, NLP_LEX_NEGATE}, {"nervous", -1.2f, NLP_LEX_WORD}, {"never", 0.0f, NLP_LEX_NEGATE},
    {"nice", 1.8f, NLP_LEX_WORD}, {"nightmare", -2.8f, NLP_LEX_WORD}, {"no", 0.0f, NLP_LEX_NEGATE},
    {"nobody", 0.0f, NLP_LEX_NEGATE}, {"none", 0.0f, NLP_LEX_NEGATE}, {"nor", 0.0f, NLP_LEX_NEGATE},
    {"not", 0.0f, NLP_LEX_NEGATE}, {"nothing", 0.0f, NLP_LEX_NEGATE}, {"nowhere", 0.0f, NLP_LEX_NEGATE},
    {"occasionally", 0.0f, NLP_LEX_DAMP}, {"ok", 0.9f, NLP_LEX_WORD}, {"okay", 0.9f, NLP_LEX_WORD},
    {"okish", 0.5f, NLP_LEX_WORD}, {"outstanding", 3.0f, NLP_LEX_WORD}, {"overloaded", -2.0f, NLP_LEX_WORD},
    {"overlooked", -1.7f, NLP_LEX_WORD}, {"overstretched", -1.9f, NLP_LEX_WORD}, {"overwhelmed", -2.1f, NLP_LEX_WORD},
    {"overwhelming", -1.5f, NLP_LEX_WORD}, {"overworked", -2.3f, NLP_LEX_WORD}, {"pain", -2.1f, NLP_LEX_WORD},
    {"painful", -2.2f, NLP_LEX_WORD}, {"panic", -2.3f, NLP_LEX_WORD}, {"particularly", 0.0f, NLP_LEX_BOOST},
    {"partly", 0.0f, NLP_LEX_DAMP}, {"passionate", 2.0f, NLP_LEX_WORD}, {"pathetic", -2.4f, NLP_LEX_WORD},
    {"patient", 1.3f, NLP_LEX_WORD}, {"peaceful", 2.0f, NLP_LEX_WORD}, {"perfect", 2.7f, NLP_LEX_WORD},
    {"pissed", -2.5f, NLP_LEX_WORD}, {"pleasant", 2.2f, NLP_LEX_WORD}, {"pleased", 1.9f, NLP_LEX_WORD},
    {"pleasure", 2.3f, NLP_LEX_WORD}, {"poor", -2.0f, NLP_LEX_WORD}, {"poorly", -1.9f, NLP_LEX_WORD},
    {"positive", 2.0f, NLP_LEX_WORD}, {"pressure", -1.3f, NLP_LEX_WORD}, {"pressured", -1.7f, NLP_LEX_WORD},
    {"pretty", 0.0f, NLP_LEX_DAMP}, {"problem", -1.4f, NLP_LEX_WORD}, {"problems", -1.5f, NLP_LEX_WORD},
    {"productive", 1.6f, NLP_LEX_WORD}, {"professional", 1.2f, NLP_LEX_WORD}, {"progress", 1.4f, NLP_LEX_WORD},
    {"promoted", 1.9f, NLP_LEX_WORD}, {"promotion", 1.6f, NLP_LEX_WORD}, {"proud", 2.1f, NLP_LEX_WORD},
    {"quit", -1.3f, NLP_LEX_WORD}, {"quite", 0.0f, NLP_LEX_BOOST}, {"quitting", -1.4f, NLP_LEX_WORD},
    {"racism", -3.0f, NLP_LEX_WORD}, {"racist", -3.0f, NLP_LEX_WORD}, {"rarely", 0.0f, NLP_LEX_NEGATE},
    {"rather", 0.0f, NLP_LEX_DAMP}, {"really", 0.0f, NLP_LEX_BOOST}, {"recognised", 1.7f, NLP_LEX_WORD},
    {"recognition", 1.8f, NLP_LEX_WORD}, {"recognized", 1.7f, NLP_LEX_WORD}, {"regret", -1.9f, NLP_LEX_WORD},
    {"rejected", -2.0f, NLP_LEX_WORD}, {"relaxed", 1.7f, NLP_LEX_WORD}, {"reliable", 1.6f, NLP_LEX_WORD},
    {"relieved", 1.7f, NLP_LEX_WORD}, {"remarkably", 0.0f, NLP_LEX_BOOST}, {"resent", -2.0f, NLP_LEX_WORD},
    {"resentful", -2.2f, NLP_LEX_WORD}, {"respect", 2.0f, NLP_LEX_WORD}, {"respected", 2.1f, NLP_LEX_WORD},
    {"respectful", 2.0f, NLP_LEX_WORD}, {"rewarded", 2.0f, NLP_LEX_WORD}, {"rewarding", 2.2f, NLP_LEX_WORD},
    {"ridiculous", -1.8f, NLP_LEX_WORD}, {"rude", -2.1f, NLP_LEX_WORD}, {"sad", -2.1f, NLP_LEX_WORD},
    {"sadly", -1.9f, NLP_LEX_WORD}, {"safe", 1.6f, NLP_LEX_WORD}, {"satisfied", 1.9f, NLP_LEX_WORD},
    {"scarcely", 0.0f, NLP_LEX_NEGATE}, {"scared", -2.0f, NLP_LEX_WORD}, {"scary", -2.0f, NLP_LEX_WORD},
    {"secure", 1.4f, NLP_LEX_WORD}, {"seldom", 0.0f, NLP_LEX_NEGATE}, {"seriously", 0.0f, NLP_LEX_BOOST},
    {"sexism", -3.0f, NLP_LEX_WORD}, {"sexist", -3.0f, NLP_LEX_WORD}, {"shame", -2.0f, NLP_LEX_WORD},
    {"shit", -2.6f, NLP_LEX_WORD}, {"shitty", -2.6f, NLP_LEX_WORD}, {"shouldnt", 0.0f, NLP_LEX_NEGATE},
    {"sick", -1.8f, NLP_LEX_WORD}, {"slightly", 0.0f, NLP_LEX_DAMP}, {"slow", -0.8f, NLP_LEX_WORD},
    {"smart", 1.7f, NLP_LEX_WORD}, {"smooth", 1.5f, NLP_LEX_WORD}, {"so", 0.0f, NLP_LEX_BOOST},
    {"somewhat", 0.0f, NLP_LEX_DAMP}, {"sorry", -0.6f, NLP_LEX_WORD}, {"sorta", 0.0f, NLP_LEX_DAMP},
    {"stagnant", -1.6f, NLP_LEX_WORD}, {"stagnating", -1.7f, NLP_LEX_WORD}, {"stress", -1.8f, NLP_LEX_WORD},
    {"stressed", -2.0f, NLP_LEX_WORD}, {"stressful", -2.0f, NLP_LEX_WORD}, {"stressing", -1.9f, NLP_LEX_WORD},
    {"strong", 1.4f, NLP_LEX_WORD}, {"struggle", -1.7f, NLP_LEX_WORD}, {"struggled", -1.7f, NLP_LEX_WORD},
    {"struggling", -1.9f, NLP_LEX_WORD}, {"stuck", -1.6f, NLP_LEX_WORD}, {"stupid", -2.2f, NLP_LEX_WORD},
    {"substantially", 0.0f, NLP_LEX_BOOST}, {"succeed", 2.0f, NLP_LEX_WORD}, {"success", 2.1f, NLP_LEX_WORD},
    {"successful", 2.2f, NLP_LEX_WORD}, {"suck", -2.1f, NLP_LEX_WORD}, {"sucks", -2.1f, NLP_LEX_WORD},
    {"super", 0.0f, NLP_LEX_BOOST}, {"super-stressed", -2.4f, NLP_LEX_WORD}, {"support", 1.6f, NLP_LEX_WORD},
    {"supported", 2.0f, NLP_LEX_WORD}, {"supporting", 1.6f, NLP_LEX_WORD}, {"supportive", 2.1f, NLP_LEX_WORD},
    {"sympathetic", 1.5f, NLP_LEX_WORD}, {"talented", 2.1f, NLP_LEX_WORD}, {"tense", -1.4f, NLP_LEX_WORD},
    {"terrible", -2.8f, NLP_LEX_WORD}, {"terribly", 0.0f, NLP_LEX_BOOST}, {"terrific", 2.9f, NLP_LEX_WORD},
    {"thank", 1.5f, NLP_LEX_WORD}, {"thankful", 2.0f, NLP_LEX_WORD}, {"thanks", 1.9f, NLP_LEX_WORD},
    {"thoroughly", 0.0f, NLP_LEX_BOOST}, {"thrilled", 2.8f, NLP_LEX_WORD}, {"thrive", 2.1f, NLP_LEX_WORD},
    {"thriving", 2.3f, NLP_LEX_WORD}, {"tired", -1.6f, NLP_LEX_WORD}, {"tolerable", 0.4f, NLP_LEX_WORD},
    {"too", 0.0f, NLP_LEX_BOOST}, {"totally", 0.0f, NLP_LEX_BOOST}, {"toxic", -2.8f, NLP_LEX_WORD},
    {"transparency", 1.3f, NLP_LEX_WORD}, {"transparent", 1.4f, NLP_LEX_WORD}, {"tremendously", 0.0f, NLP_LEX_BOOST},
    {"truly", 0.0f, NLP_LEX_BOOST}, {"trust", 1.8f, NLP_LEX_WORD}, {"trusted", 1.9f, NLP_LEX_WORD},
    {"trusting", 1.5f, NLP_LEX_WORD}, {"ugly", -2.0f, NLP_LEX_WORD}, {"unacceptable", -2.4f, NLP_LEX_WORD},
    {"unappreciated", -2.2f, NLP_LEX_WORD}, {"unbearable", -2.8f, NLP_LEX_WORD}, {"unbelievably", 0.0f, NLP_LEX_BOOST},
    {"uncertain", -1.3f, NLP_LEX_WORD}, {"uncertainty", -1.4f, NLP_LEX_WORD}, {"unclear", -1.1f, NLP_LEX_WORD},
    {"uncomfortable", -1.7f, NLP_LEX_WORD}, {"underappreciated", -2.2f, NLP_LEX_WORD}, {"undermined", -2.1f, NLP_LEX_WORD},
    {"underpaid", -2.1f, NLP_LEX_WORD}, {"understaffed", -1.8f, NLP_LEX_WORD}, {"understanding", 1.5f, NLP_LEX_WORD},
    {"undervalued", -2.2f, NLP_LEX_WORD}, {"unengaged", -1.6f, NLP_LEX_WORD}, {"unfair", -2.1f, NLP_LEX_WORD},
    {"unfairly", -2.0f, NLP_LEX_WORD}, {"unfriendly", -1.9f, NLP_LEX_WORD}, {"unhappy", -2.2f, NLP_LEX_WORD},
    {"unhealthy", -1.9f, NLP_LEX_WORD}, {"unhelpful", -1.7f, NLP_LEX_WORD}, {"unmotivated", -1.9f, NLP_LEX_WORD},
    {"unorganized", -1.6f, NLP_LEX_WORD}, {"unpaid", -1.5f, NLP_LEX_WORD}, {"unproductive", -1.5f, NLP_LEX_WORD},
    {"unprofessional", -2.1f, NLP_LEX_WORD}, {"unrealistic", -1.4f, NLP_LEX_WORD}, {"unreasonable", -1.8f, NLP_LEX_WORD},
    {"unsafe", -2.3f, NLP_LEX_WORD}, {"unsupported", -2.0f, NLP_LEX_WORD}, {"unsupportive", -2.1f, NLP_LEX_WORD},
    {"unsure", -1.0f, NLP_LEX_WORD}, {"upset", -1.9f, NLP_LEX_WORD}, {"useful", 1.6f, NLP_LEX_WORD},
    {"useless", -2.1f, NLP_LEX_WORD}, {"utterly", 0.0f, NLP_LEX_BOOST}, {"vague", -0.9f, NLP_LEX_WORD},
    {"valuable", 2.0f, NLP_LEX_WORD}, {"valued", 2.0f, NLP_LEX_WORD}, {"very", 0.0f, NLP_LEX_BOOST},
    {"warm", 1.3f, NLP_LEX_WORD}, {"wasnt", 0.0f, NLP_LEX_NEGATE}, {"way", 0.0f, NLP_LEX_BOOST},
    {"welcome", 1.8f, NLP_LEX_WORD}, {"welcomed", 2.1f, NLP_LEX_WORD}, {"welcoming", 2.2f, NLP_LEX_WORD},
    {"werent", 0.0f, NLP_LEX_NEGATE}, {"win", 2.2f, NLP_LEX_WORD}, {"winning", 2.2f, NLP_LEX_WORD},
    {"without", 0.0f, NLP_LEX_NEGATE}, {"wonderful", 2.8f, NLP_LEX_WORD}, {"wont", 0.0f, NLP_LEX_NEGATE},
    {"worn-out", -2.1f, NLP_LEX_WORD}, {"worried", -1.7f, NLP_LEX_WORD}, {"worry", -1.5f, NLP_LEX_WORD},
    {"worrying", -1.7f, NLP_LEX_WORD}, {"worse", -2.1f, NLP_LEX_WORD}, {"worst", -3.1f, NLP_LEX_WORD},
    {"worthless", -2.6f, NLP_LEX_WORD}, {"wouldnt", 0.0f, NLP_LEX_NEGATE}, {"wow", 2.0f, NLP_LEX_WORD},
    {"wrong", -1.8f, NLP_LEX_WORD}, {"xd", 1.8f, NLP_LEX_WORD}, {"yay", 2.4f, NLP_LEX_WORD},
    {"yes", 1.0f, NLP_LEX_WORD},
};

typedef struct emoticon {
    const char *text;
    float valence;
} emoticon;

/* Scanned linearly (longest match wins), so no order is needed. */
static const emoticon emoticons[] = {
    {":)", 1.9f},   {":-)", 1.9f},  {":))", 2.2f},  {":]", 1.6f},   {"=)", 1.7f},  {":D", 2.3f},
    {":-D", 2.3f},  {";)", 1.2f},   {";-)", 1.2f},  {":P", 1.0f},   {":p", 1.0f},  {":-P", 1.0f},
    {"<3", 2.2f},   {"^_^", 1.9f},  {"^^", 1.6f},   {":(", -1.9f},  {":-(", -1.9f}, {":((", -2.2f},
    {":[", -1.6f},  {"=(", -1.7f},  {":'(", -2.3f}, {":/", -1.2f},  {":-/", -1.2f}, {":\\", -1.2f},
    {":|", -0.6f},  {":-|", -0.6f}, {"</3", -2.3f}, {">:(", -2.4f},
};

typedef struct emoji {
    uint32_t cp;
    float valence;
} emoji;

static const emoji emojis[] = {
    {0x2639, -1.7f}, /* frowning face */
    {0x263A, 2.0f}, /* smiling face */
    {0x2764, 2.5f}, /* red heart */
    {0x2B50, 1.4f}, /* star */
    {0x1F31F, 1.6f}, /* glowing star */
    {0x1F389, 2.2f}, /* party popper */
    {0x1F44D, 1.6f}, /* thumbs up */
    {0x1F44E, -1.6f}, /* thumbs down */
    {0x1F44F, 1.8f}, /* clapping hands */
    {0x1F494, -2.5f}, /* broken heart */
    {0x1F499, 2.2f}, /* blue heart */
    {0x1F49A, 2.2f}, /* green heart */
    {0x1F49B, 2.2f}, /* yellow heart */
    {0x1F49C, 2.2f}, /* purple heart */
    {0x1F4A9, -1.8f}, /* pile of poo */
    {0x1F4AA, 1.4f}, /* flexed biceps */
    {0x1F600, 2.0f}, /* grinning face */
    {0x1F601, 2.0f}, /* beaming face */
    {0x1F602, 1.4f}, /* tears of joy */
    {0x1F603, 2.1f}, /* grinning face with big eyes */
    {0x1F604, 2.1f}, /* grinning face with smiling eyes */
    {0x1F605, 0.6f}, /* grinning face with sweat */
    {0x1F606, 1.8f}, /* grinning squinting face */
    {0x1F609, 1.2f}, /* winking face */
    {0x1F60A, 2.1f}, /* smiling face with smiling eyes */
    {0x1F60D, 2.7f}, /* heart eyes */
    {0x1F60E, 1.8f}, /* sunglasses */
    {0x1F610, -0.4f}, /* neutral face */
    {0x1F611, -0.6f}, /* expressionless face */
    {0x1F612, -1.4f}, /* unamused face */
    {0x1F613, -1.4f}, /* downcast face with sweat */
    {0x1F614, -1.8f}, /* pensive face */
    {0x1F615, -1.2f}, /* confused face */
    {0x1F61E, -2.0f}, /* disappointed face */
    {0x1F61F, -1.6f}, /* worried face */
    {0x1F620, -2.5f}, /* angry face */
    {0x1F621, -2.8f}, /* pouting face */
    {0x1F622, -2.2f}, /* crying face */
    {0x1F623, -1.8f}, /* persevering face */
    {0x1F624, -1.6f}, /* face with steam from nose */
    {0x1F625, -1.6f}, /* sad but relieved face */
    {0x1F629, -2.0f}, /* weary face */
    {0x1F62A, -1.0f}, /* sleepy face */
    {0x1F62B, -2.0f}, /* tired face */
    {0x1F62C, -0.8f}, /* grimacing face */
    {0x1F62D, -2.4f}, /* loudly crying face */
    {0x1F630, -2.0f}, /* anxious face with sweat */
    {0x1F631, -1.8f}, /* face screaming in fear */
    {0x1F634, -0.6f}, /* sleeping face */
    {0x1F641, -1.5f}, /* slightly frowning face */
    {0x1F642, 1.3f}, /* slightly smiling face */
    {0x1F64C, 2.0f}, /* raising hands */
    {0x1F64F, 1.2f}, /* folded hands */
    {0x1F917, 2.0f}, /* hugging face */
    {0x1F91D, 1.4f}, /* handshake */
    {0x1F923, 1.5f}, /* rolling on the floor laughing */
    {0x1F92C, -3.0f}, /* face with symbols on mouth */
    {0x1F92E, -2.6f}, /* face vomiting */
    {0x1F92F, -1.2f}, /* exploding head */
    {0x1F970, 2.7f}, /* smiling face with hearts */
    {0x1F972, 0.4f}, /* smiling face with tear */
    {0x1F97A, -0.8f}, /* pleading face */
    {0x1F9E1, 2.2f}, /* orange heart */
    {0x1FAE0, -0.8f}, /* melting face */
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static int word_cmp(const char *a, size_t alen, const char *b) {
    size_t blen = strlen(b);
    int c = memcmp(a, b, alen < blen ? alen : blen);
    if (c) return c;
    return alen < blen ? -1 : alen > blen;
}

const nlp_lex_entry *nlp_lexicon_find(const char *word, size_t len) {
    if (len == 0 || len > NLP_LEX_WORD_MAX) return NULL;
    size_t lo = 0, hi = COUNT(lexicon);
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = word_cmp(word, len, lexicon[mid].word);
        if (c == 0) return &lexicon[mid];
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return NULL;
}

size_t nlp_emoticon_match(const char *s, size_t len, double *valence) {
    size_t best = 0;
    for (size_t i = 0; i < COUNT(emoticons); i++) {
        size_t n = strlen(emoticons[i].text);
        if (n > best && n <= len && memcmp(s, emoticons[i].text, n) == 0) {
            best = n;
            *valence = emoticons[i].valence;
        }
    }
    return best;
}

int nlp_emoji_valence(uint32_t cp, double *valence) {
    size_t lo = 0, hi = COUNT(emojis);
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (emojis[mid].cp == cp) {
            *valence = emojis[mid].valence;
            return 1;
        }
        if (cp < emojis[mid].cp)
            hi = mid;
        else
            lo = mid + 1;
    }
    return 0;
}

int nlp_lexicon_check(void) {
    for (size_t i = 0; i < COUNT(lexicon); i++) {
        size_t n = strlen(lexicon[i].word);
        if (n == 0 || n > NLP_LEX_WORD_MAX) return HARK_EINVAL;
        for (size_t j = 0; j < n; j++)
            if (lexicon[i].word[j] >= 'A' && lexicon[i].word[j] <= 'Z') return HARK_EINVAL;
        if (i > 0 && strcmp(lexicon[i - 1].word, lexicon[i].word) >= 0) return HARK_EINVAL;
    }
    for (size_t i = 1; i < COUNT(emojis); i++)
        if (emojis[i - 1].cp >= emojis[i].cp) return HARK_EINVAL;
    return HARK_OK;
}
