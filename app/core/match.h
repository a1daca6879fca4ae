/* match.h: mapping suggestions: name normalisation, similarity scores, SKU equality, best candidate */
#ifndef BILLSYNC_CORE_MATCH_H
#define BILLSYNC_CORE_MATCH_H

#include <stddef.h>

/*
 * Pure functions: no I/O, no allocation, no mutable globals. Names are UTF-8; invalid bytes
 * act as separators. Only the first MATCH_MAX_LEN bytes of a normalised name take part in
 * matching (longer names are cut at a word boundary, the same way on both sides).
 *
 * Scores are 0..100:
 *   100                equal after normalisation
 *   >= MATCH_STRONG    a near match (typo, abbreviation, extra generic word): suggest it
 *   >= MATCH_FLOOR     a weak suggestion, shown with its score but never accepted in bulk by default
 *   <  MATCH_FLOOR     not a match (different company, different product edition or plan)
 */
#define MATCH_MAX_LEN 256
#define MATCH_STRONG 85
#define MATCH_FLOOR 70

/* Scores match_best gives the non-name reasons and the "same name" cases. */
#define MATCH_SCORE_REMEMBERED 100
#define MATCH_SCORE_SKU 98
#define MATCH_SCORE_EXACT_LITERAL 100 /* same text, ignoring only case and spacing */
#define MATCH_SCORE_EXACT 97          /* same text after normalisation */

enum match_kind {
    MATCH_COMPANY = 0, /* distributor company vs PSA account */
    MATCH_PRODUCT      /* subscription / resource vs PSA contract service or product */
};

enum match_reason {
    MATCH_NONE = 0,
    MATCH_REMEMBERED,  /* the same source object was linked to this candidate before */
    MATCH_SKU,         /* vendor SKU / product code equal */
    MATCH_NAME_EXACT,  /* names equal after normalisation */
    MATCH_NAME_SIMILAR /* names similar: see the score */
};

struct match_candidate {
    const char *id;   /* caller's identifier; not used for matching */
    const char *name; /* may be NULL */
    const char *sku;  /* may be NULL or empty */
    int remembered;   /* non-zero: the same source object was linked to this candidate before */
};

struct match_result {
    size_t index; /* into the candidate array; (size_t)-1 when nothing matched */
    int score;    /* 0..100 */
    enum match_reason reason;
};

/*
 * Writes the normalised form of `in` (NULL counts as empty) to out[0..n): lowercase ASCII
 * words separated by single spaces; accents folded (é→e, ß→ss, ø→o, æ→ae), "&" and "+" become
 * "and", other punctuation separates words, apostrophes and ®/™/© vanish, runs of single
 * letters join ("L.L.C." → "llc"). Companies lose a leading "the" and trailing legal forms
 * (Inc, LLC, Ltd, GmbH & Co. KG, Pty Ltd, ...); products lose billing words (monthly,
 * pre-paid, NCE, P1Y, "1 year", commitment, subscription, license...), a leading "Microsoft"
 * unless "Microsoft 365", and "Enterprise" before E3/E5; O365/M365 become office/microsoft 365
 * (never equated with each other) and "P1"/"Plan1" become "plan 1". A name made only of such
 * words is kept as it is. Output that does not fit n is cut at a word boundary.
 * Returns the length written, or -1 when out is NULL, n is 0 or kind is unknown.
 */
int match_normalize(const char *in, char *out, size_t n, enum match_kind kind);

/*
 * Similarity 0..100 of two names (see the scale above); 0 when either is empty after
 * normalisation or kind is unknown.
 */
int match_score(const char *a, const char *b, enum match_kind kind);

/*
 * Non-zero when two SKUs / product codes are the same code: ASCII case, spaces, '-', ':', '_',
 * '/' and '.' are ignored, and an all-digit segment may carry leading zeros ("ABC:0001" equals
 * "abc-1" and "ABC0001", but "ABC0001" does not equal "ABC1"). Empty or NULL never matches.
 */
int match_sku_equal(const char *a, const char *b);

/* A short English label for a reason, for the suggestions page; never NULL. */
const char *match_reason_text(enum match_reason r);

/*
 * The best candidate for a source object with this name and SKU (either may be NULL).
 * Priority: remembered link (score 100), then equal SKU (98), then equal normalised name
 * (100 when also literally equal, else 97), then the most similar name (its score); within
 * one priority the higher score wins, ties go to the earlier candidate.
 * Returns 1 and fills *out when the winner scores at least MATCH_FLOOR; otherwise returns 0
 * with out->index (size_t)-1, score 0, reason MATCH_NONE (and 0 alone when out is NULL).
 * Cost: linear in n times the name lengths; no allocation.
 */
int match_best(const char *name, const char *sku, const struct match_candidate *cands, size_t n,
               enum match_kind kind, struct match_result *out);

#endif
