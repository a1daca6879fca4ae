/* match.c: mapping suggestions: name normalisation, similarity scores, SKU equality, best candidate */
#include "core/match.h"

#include <stdint.h>
#include <string.h>

/* Folded text before the word rules; wider than MATCH_MAX_LEN because the rules drop words. */
#define CLEAN_CAP (2 * MATCH_MAX_LEN)
#define WORK_TOKENS (CLEAN_CAP / 2 + 1)
#define NORM_TOKENS (MATCH_MAX_LEN / 2 + 1)

/* Scoring constants (see match_score). */
#define SCORE_COMPACT 96       /* equal once spaces are ignored: "ID Sync" / "IDSync" */
#define GENERIC_WEIGHT 0.3     /* "services", "group", "and", "online": weak evidence either way */
#define LOOSE_SIM 0.95         /* plural or German transliteration: "services"/"service", "mueller"/"muller" */
#define TYPO_MIN_SIM 0.85      /* 1 - edits/length below this is a different word */
#define CONFLICT_FACTOR 0.6    /* both names have a significant word the other lacks: Plan 1/Plan 2 */
#define PRODUCT_EXTRA_FACTOR 0.75 /* a product with an extra significant word is another edition */

struct tok {
    const char *s;
    size_t len;
};

struct toks {
    struct tok t[WORK_TOKENS];
    size_t n;
};

/* A normalised name: its text and word offsets, computed once per name. */
struct norm {
    char text[MATCH_MAX_LEN + 1];
    size_t len, ntok;
    uint16_t off[NORM_TOKENS], tlen[NORM_TOKENS];
};

/* ---- folding: UTF-8 → lowercase ASCII words separated by single spaces ---- */

struct sink {
    char buf[CLEAN_CAP];
    size_t len;
    int full;
};

static void sink_space(struct sink *k)
{
    if (k->full || k->len == 0 || k->buf[k->len - 1] == ' ')
        return;
    if (k->len + 1 >= CLEAN_CAP) {
        k->full = 1;
        return;
    }
    k->buf[k->len++] = ' ';
}

static void sink_put(struct sink *k, const char *s, size_t n)
{
    if (k->full)
        return;
    if (k->len + n >= CLEAN_CAP) {
        k->full = 1;
        return;
    }
    memcpy(k->buf + k->len, s, n);
    k->len += n;
}

/*
 * U+00C0..U+00FF and U+0100..U+017F folded to ASCII. Markers for the two-letter folds:
 * A=ae, T=th, S=ss, J=ij, O=oe; ' ' for × and ÷.
 */
static const char latin1_fold[65] = "aaaaaaAc" "eeeeiiii" "dnooooo " "ouuuuyTS"
                                    "aaaaaaAc" "eeeeiiii" "dnooooo " "ouuuuyTy";
static const char latin_ext_a_fold[129] = "aaaaaacc" "ccccccdd" "ddeeeeee" "eeeegggg"
                                          "gggghhhh" "iiiiiiii" "iiJJjjkk" "klllllll"
                                          "lllnnnnn" "nnnnoooo" "ooOOrrrr" "rrssssss"
                                          "sstttttt" "uuuuuuuu" "uuuuwwyy" "yzzzzzzs";

static void fold_letter(struct sink *k, char f)
{
    switch (f) {
    case ' ': sink_space(k); break;
    case 'A': sink_put(k, "ae", 2); break;
    case 'T': sink_put(k, "th", 2); break;
    case 'S': sink_put(k, "ss", 2); break;
    case 'J': sink_put(k, "ij", 2); break;
    case 'O': sink_put(k, "oe", 2); break;
    default: sink_put(k, &f, 1); break;
    }
}

static void fold_ascii(struct sink *k, unsigned char c)
{
    char ch = (char)c;
    if (c >= 'A' && c <= 'Z') {
        ch = (char)(c - 'A' + 'a');
        sink_put(k, &ch, 1);
    } else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
        sink_put(k, &ch, 1);
    } else if (c == '&' || c == '+') {
        sink_space(k);
        sink_put(k, "and", 3);
        sink_space(k);
    } else if (c == '\'' || c == '`') {
        /* apostrophes join: "O'Brien's" → "obriens" */
    } else {
        sink_space(k);
    }
}

/* One UTF-8 sequence at s; its length, or 0 when invalid (overlong, surrogate, truncated). */
static size_t utf8_next(const unsigned char *s, uint32_t *cp)
{
    unsigned char c = s[0];
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    if (c >= 0xC2 && c <= 0xDF) {
        if ((s[1] & 0xC0) != 0x80)
            return 0;
        *cp = ((uint32_t)(c & 0x1F) << 6) | (s[1] & 0x3F);
        return 2;
    }
    if (c >= 0xE0 && c <= 0xEF) {
        unsigned char lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;
        if (s[1] < lo || s[1] > hi || (s[2] & 0xC0) != 0x80)
            return 0;
        *cp = ((uint32_t)(c & 0x0F) << 12) | ((uint32_t)(s[1] & 0x3F) << 6) | (s[2] & 0x3F);
        return 3;
    }
    if (c >= 0xF0 && c <= 0xF4) {
        unsigned char lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;
        if (s[1] < lo || s[1] > hi || (s[2] & 0xC0) != 0x80 || (s[3] & 0xC0) != 0x80)
            return 0;
        *cp = ((uint32_t)(c & 0x07) << 18) | ((uint32_t)(s[1] & 0x3F) << 12) |
              ((uint32_t)(s[2] & 0x3F) << 6) | (s[3] & 0x3F);
        return 4;
    }
    return 0;
}

static void fold_cp(struct sink *k, uint32_t cp, const unsigned char *raw, size_t len)
{
    if (cp < 0x80)
        fold_ascii(k, (unsigned char)cp);
    else if (cp >= 0xC0 && cp <= 0xFF)
        fold_letter(k, latin1_fold[cp - 0xC0]);
    else if (cp >= 0x100 && cp <= 0x17F)
        fold_letter(k, latin_ext_a_fold[cp - 0x100]);
    else if (cp == 0x218 || cp == 0x219) /* Romanian comma-below letters */
        sink_put(k, "s", 1);
    else if (cp == 0x21A || cp == 0x21B)
        sink_put(k, "t", 1);
    else if (cp == 0xAE || cp == 0xA9 || cp == 0x2122 || cp == 0x2018 || cp == 0x2019 || cp == 0x2BC)
        ; /* ® © ™ and typographic apostrophes vanish: "IDSync®" → "idsync" */
    else if (cp == 0xB9)
        sink_put(k, "1", 1);
    else if (cp == 0xB2)
        sink_put(k, "2", 1);
    else if (cp == 0xB3)
        sink_put(k, "3", 1);
    else if (cp >= 0xFF01 && cp <= 0xFF5E) /* fullwidth ASCII */
        fold_ascii(k, (unsigned char)(cp - 0xFEE0));
    else if (cp < 0xC0 || (cp >= 0x2000 && cp <= 0x2BFF) || (cp >= 0x3000 && cp <= 0x303F) ||
             (cp >= 0xFE00 && cp <= 0xFE0F) || cp == 0xFEFF || (cp >= 0xFFF0 && cp <= 0xFFFF) ||
             (cp >= 0x1F000 && cp <= 0x1FAFF))
        sink_space(k); /* controls, punctuation, dashes, quotes, symbols, emoji, spaces */
    else
        sink_put(k, (const char *)raw, len); /* other scripts are kept as they are */
}

static void fold(const char *in, struct sink *k)
{
    const unsigned char *p = (const unsigned char *)(in ? in : "");
    k->len = 0;
    k->full = 0;
    while (*p && !k->full) {
        uint32_t cp;
        size_t l = utf8_next(p, &cp);
        if (l == 0) {
            sink_space(k); /* an invalid byte separates words */
            p++;
            continue;
        }
        fold_cp(k, cp, p, l);
        p += l;
    }
    if (k->full) {
        /* the last word may be cut: drop it, unless it is the only one */
        size_t l = k->len;
        while (l > 0 && k->buf[l - 1] != ' ')
            l--;
        if (l > 0)
            k->len = l;
    }
    while (k->len > 0 && k->buf[k->len - 1] == ' ')
        k->len--;
}

/* ---- word rules ---- */

static void push(struct toks *o, const char *s, size_t len)
{
    if (o->n < WORK_TOKENS) {
        o->t[o->n].s = s;
        o->t[o->n].len = len;
        o->n++;
    }
}

static int tok_is(const struct tok *t, const char *w)
{
    size_t l = strlen(w);
    return t->len == l && memcmp(t->s, w, l) == 0;
}

static int tok_in(const struct tok *t, const char *const *list)
{
    for (; *list; list++)
        if (tok_is(t, *list))
            return 1;
    return 0;
}

static int all_digits(const char *s, size_t len)
{
    if (len == 0)
        return 0;
    for (size_t i = 0; i < len; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return 1;
}

static int has_digit(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (s[i] >= '0' && s[i] <= '9')
            return 1;
    return 0;
}

/* Optimal string alignment distance (edits with adjacent transpositions) over bytes. */
static size_t osa_distance(const struct tok *a, const struct tok *b)
{
    uint16_t rows[3][MATCH_MAX_LEN + 1];
    uint16_t *pp = rows[0], *p = rows[1], *c = rows[2];
    if (a->len > MATCH_MAX_LEN || b->len > MATCH_MAX_LEN) /* never for normalised words */
        return a->len > b->len ? a->len : b->len;
    for (size_t j = 0; j <= b->len; j++)
        p[j] = (uint16_t)j;
    for (size_t i = 1; i <= a->len; i++) {
        c[0] = (uint16_t)i;
        for (size_t j = 1; j <= b->len; j++) {
            unsigned cost = a->s[i - 1] != b->s[j - 1];
            unsigned v = p[j] + 1u;
            if (c[j - 1] + 1u < v)
                v = c[j - 1] + 1u;
            if (p[j - 1] + cost < v)
                v = p[j - 1] + cost;
            if (i > 1 && j > 1 && a->s[i - 1] == b->s[j - 2] && a->s[i - 2] == b->s[j - 1] &&
                pp[j - 2] + 1u < v)
                v = pp[j - 2] + 1u;
            c[j] = (uint16_t)v;
        }
        uint16_t *r = pp;
        pp = p;
        p = c;
        c = r;
    }
    return p[b->len];
}

static void split(const char *s, size_t len, struct toks *o)
{
    size_t i = 0;
    o->n = 0;
    while (i < len) {
        while (i < len && s[i] == ' ')
            i++;
        size_t start = i;
        while (i < len && s[i] != ' ')
            i++;
        if (i > start)
            push(o, s + start, i - start);
    }
}

static int single_letter(const struct tok *t)
{
    return t->len == 1 && t->s[0] >= 'a' && t->s[0] <= 'z';
}

/* Runs of single letters are initials: "L.L.C." → "llc", "J B Hunt" → "jb hunt". */
static void join_initials(const struct toks *in, struct toks *o, char *arena, size_t cap)
{
    size_t used = 0;
    o->n = 0;
    for (size_t i = 0; i < in->n;) {
        size_t j = i;
        while (j < in->n && single_letter(&in->t[j]))
            j++;
        if (j - i >= 2 && used + (j - i) <= cap) {
            char *dst = arena + used;
            for (size_t m = i; m < j; m++)
                arena[used++] = in->t[m].s[0];
            push(o, dst, j - i);
            i = j;
        } else {
            push(o, in->t[i].s, in->t[i].len);
            i++;
        }
    }
}

static const char *const legal_forms[] = {
    "inc", "incorporated", "llc", "llp", "lp", "pllc", "pc", "ltd", "limited", "gmbh", "mbh",
    "ag", "kg", "bv", "nv", "pty", "plc", "sa", "sas", "sarl", "srl", "spa", "co", "corp",
    "corporation", "company", "oy", "ab", "as", "aps", "pte", NULL};

/* Abbreviations expanded on both sides, so "Bros" meets "Brothers". */
static const char *const company_abbrev[][2] = {
    {"bros", "brothers"}, {"intl", "international"}, {"natl", "national"},
    {"mfg", "manufacturing"}, {"svcs", "services"}, {"assoc", "associates"},
    {"grp", "group"}, {"ctr", "center"}, {"centre", "center"}, {"mgmt", "management"},
    {"dept", "department"}, {NULL, NULL}};

static void company_rules(const struct toks *in, struct toks *o)
{
    size_t start = 0;
    o->n = 0;
    if (in->n > 1 && tok_is(&in->t[0], "the"))
        start = 1;
    for (size_t i = start; i < in->n; i++) {
        const struct tok *t = &in->t[i];
        size_t a;
        for (a = 0; company_abbrev[a][0]; a++)
            if (tok_is(t, company_abbrev[a][0]))
                break;
        if (company_abbrev[a][0])
            push(o, company_abbrev[a][1], strlen(company_abbrev[a][1]));
        else
            push(o, t->s, t->len);
    }
    /* legal forms at the end, and the "and" of "& Co. KG"; never the last word left */
    while (o->n > 1 && (tok_in(&o->t[o->n - 1], legal_forms) || tok_is(&o->t[o->n - 1], "and")))
        o->n--;
}

static const char *const billing_words[] = {
    "monthly", "annual", "annually", "yearly", "prepaid", "postpaid", "paid", "upfront",
    "billed", "billing", "nce", "commitment", "commit", "subscription", "subscriptions",
    "license", "licenses", "licence", "licences", "p1m", "p1y", "p3y", "month", "months",
    "year", "years", "yr", "yrs", NULL};

static const char *const period_units[] = {"month", "months", "mo", "mos", "year",
                                           "years", "yr", "yrs", NULL};

/* E3, E5, F1, F3: the edition that "Enterprise" merely announces. */
static int edition_code(const struct tok *t)
{
    return t != NULL && t->len == 2 && (t->s[0] == 'e' || t->s[0] == 'f') && t->s[1] >= '0' &&
           t->s[1] <= '9';
}

/* w itself or one typo away ("Enterpirse"); typos are common in hand-made PSA names. */
static int near_word(const struct tok *t, const char *w)
{
    struct tok tw = {w, strlen(w)};
    size_t diff = t->len > tw.len ? t->len - tw.len : tw.len - t->len;
    return diff <= 1 && osa_distance(t, &tw) <= 1;
}

static void product_rewrite(const struct toks *in, struct toks *o)
{
    o->n = 0;
    for (size_t i = 0; i < in->n; i++) {
        const struct tok *t = &in->t[i];
        /* o365 and m365 are different families: expand, never equate */
        if (tok_is(t, "o365") || tok_is(t, "office365")) {
            push(o, "office", 6);
            push(o, "365", 3);
        } else if (tok_is(t, "m365") || tok_is(t, "microsoft365")) {
            push(o, "microsoft", 9);
            push(o, "365", 3);
        } else if (t->len > 4 && memcmp(t->s, "plan", 4) == 0 && all_digits(t->s + 4, t->len - 4)) {
            push(o, "plan", 4);
            push(o, t->s + 4, t->len - 4);
        } else if (t->len == 2 && t->s[0] == 'p' && t->s[1] >= '1' && t->s[1] <= '9') {
            push(o, "plan", 4); /* "Exchange Online P1" */
            push(o, t->s + 1, 1);
        } else {
            push(o, t->s, t->len);
        }
    }
}

static void product_rules(const struct toks *in, struct toks *tmp, struct toks *o)
{
    int prev_dropped = 0;
    product_rewrite(in, tmp);
    o->n = 0;
    for (size_t i = 0; i < tmp->n; i++) {
        const struct tok *t = &tmp->t[i];
        const struct tok *next = i + 1 < tmp->n ? &tmp->t[i + 1] : NULL;
        int drop = tok_in(t, billing_words) ||
                   (tok_is(t, "pre") && next && tok_is(next, "paid")) ||
                   (all_digits(t->s, t->len) && next && tok_in(next, period_units)) ||
                   (tok_is(t, "term") && prev_dropped) ||
                   (o->n == 0 && tok_is(t, "microsoft") && !(next && tok_is(next, "365"))) ||
                   (edition_code(next) && near_word(t, "enterprise"));
        prev_dropped = drop;
        if (!drop)
            push(o, t->s, t->len);
    }
    if (o->n == 0) /* only billing words: keep them rather than nothing */
        *o = *tmp;
}

/* Joins words into out (n bytes, at most MATCH_MAX_LEN + 1), cutting at a word boundary. */
static size_t join(const struct toks *t, char *out, size_t n)
{
    size_t len = 0;
    if (n > MATCH_MAX_LEN + 1)
        n = MATCH_MAX_LEN + 1;
    for (size_t i = 0; i < t->n; i++) {
        size_t wl = t->t[i].len;
        if (len + (len ? 1 : 0) + wl + 1 > n) {
            if (len == 0) {
                /* a single word longer than the room: keep its start, on a UTF-8 boundary */
                wl = n - 1;
                while (wl > 0 && ((unsigned char)t->t[i].s[wl] & 0xC0) == 0x80)
                    wl--;
                memcpy(out, t->t[i].s, wl);
                len = wl;
            }
            break;
        }
        if (len)
            out[len++] = ' ';
        memcpy(out + len, t->t[i].s, wl);
        len += wl;
    }
    out[len] = '\0';
    return len;
}

static int kind_ok(enum match_kind kind)
{
    return kind == MATCH_COMPANY || kind == MATCH_PRODUCT;
}

static size_t normalize_into(const char *in, enum match_kind kind, char *out, size_t n)
{
    struct sink k;
    char arena[CLEAN_CAP];
    struct toks a, b, c;
    fold(in, &k);
    split(k.buf, k.len, &a);
    join_initials(&a, &b, arena, sizeof arena);
    if (kind == MATCH_PRODUCT) {
        product_rules(&b, &a, &c);
        return join(&c, out, n);
    }
    company_rules(&b, &a);
    return join(&a, out, n);
}

int match_normalize(const char *in, char *out, size_t n, enum match_kind kind)
{
    if (out == NULL || n == 0)
        return -1;
    out[0] = '\0';
    if (!kind_ok(kind))
        return -1;
    return (int)normalize_into(in, kind, out, n);
}

/* ---- scoring ---- */

static void norm_build(const char *in, enum match_kind kind, struct norm *nm)
{
    nm->len = normalize_into(in, kind, nm->text, sizeof nm->text);
    nm->ntok = 0;
    size_t i = 0;
    while (i < nm->len && nm->ntok < NORM_TOKENS) {
        size_t start = i;
        while (i < nm->len && nm->text[i] != ' ')
            i++;
        nm->off[nm->ntok] = (uint16_t)start;
        nm->tlen[nm->ntok] = (uint16_t)(i - start);
        nm->ntok++;
        i++; /* the single separating space */
    }
}

static struct tok norm_tok(const struct norm *nm, size_t i)
{
    struct tok t = {nm->text + nm->off[i], nm->tlen[i]};
    return t;
}

static const char *const filler_words[] = {"and", "of", "the", "for", "with", "an", NULL};
static const char *const company_generic[] = {
    "services", "service", "solutions", "solution", "group", "holdings", "holding",
    "industries", "enterprises", "international", "systems", "technologies", "technology",
    "consulting", "associates", "partners", "company", NULL};
static const char *const product_generic[] = {"online", NULL};

static double weight(const struct tok *t, enum match_kind kind)
{
    if (tok_in(t, filler_words) || tok_in(t, kind == MATCH_PRODUCT ? product_generic : company_generic))
        return GENERIC_WEIGHT;
    return 1.0;
}

/* Word key ignoring a plural ending and German ae/oe/ue spellings. */
static size_t loose_key(const struct tok *t, char *out)
{
    size_t n = 0;
    for (size_t i = 0; i < t->len; i++) {
        if (t->s[i] == 'e' && n > 0 && (out[n - 1] == 'a' || out[n - 1] == 'o' || out[n - 1] == 'u'))
            continue;
        out[n++] = t->s[i];
    }
    if (n > 4 && memcmp(out + n - 3, "ies", 3) == 0) {
        n -= 2;
        out[n - 1] = 'y';
    } else if (n > 3 && out[n - 1] == 's' && out[n - 2] != 's') {
        n--;
    }
    return n;
}

/* 1 for the same word, 0.95 for a loose match, 1 - edits/length for a typo, else 0. */
static double word_sim(const struct tok *a, const struct tok *b)
{
    if (a->len == b->len && memcmp(a->s, b->s, a->len) == 0)
        return 1.0;
    /* short words and anything with a digit (E3, 365, plan numbers) must match exactly */
    if (a->len < 4 || b->len < 4 || has_digit(a->s, a->len) || has_digit(b->s, b->len))
        return 0.0;
    char ka[MATCH_MAX_LEN], kb[MATCH_MAX_LEN];
    size_t la = loose_key(a, ka), lb = loose_key(b, kb);
    if (la == lb && memcmp(ka, kb, la) == 0)
        return LOOSE_SIM;
    size_t maxl = a->len > b->len ? a->len : b->len;
    size_t diff = a->len > b->len ? a->len - b->len : b->len - a->len;
    if ((double)diff / (double)maxl > 1.0 - TYPO_MIN_SIM)
        return 0.0;
    size_t d = osa_distance(a, b);
    double sim = 1.0 - (double)d / (double)maxl;
    return sim >= TYPO_MIN_SIM ? sim : 0.0;
}

static int compact_equal(const struct norm *a, const struct norm *b)
{
    size_t i = 0, j = 0;
    for (;;) {
        while (i < a->len && a->text[i] == ' ')
            i++;
        while (j < b->len && b->text[j] == ' ')
            j++;
        if (i == a->len || j == b->len)
            return i == a->len && j == b->len;
        if (a->text[i++] != b->text[j++])
            return 0;
    }
}

/*
 * Weighted Dice over words: 2·Σ sim·(w_a + w_b)/2 / (Σ w_a + Σ w_b), with words paired
 * exactly first, then by loose key or typo distance; then penalties for unpaired significant
 * words (weight 1): on both sides it is a substitution (Basic/Premium, Plan 1/Plan 2,
 * Office/Microsoft), and for products an extra word on one side is another edition.
 */
static int score_norm(const struct norm *a, const struct norm *b, enum match_kind kind)
{
    if (a->ntok == 0 || b->ntok == 0)
        return 0;
    if (a->len == b->len && memcmp(a->text, b->text, a->len) == 0)
        return 100;
    if (compact_equal(a, b))
        return SCORE_COMPACT;

    int pair[NORM_TOKENS];   /* a's word → b's word, or -1 */
    double sim[NORM_TOKENS]; /* similarity of that pair */
    unsigned char used[NORM_TOKENS] = {0};
    for (size_t i = 0; i < a->ntok; i++) {
        pair[i] = -1;
        sim[i] = 0.0;
        struct tok ta = norm_tok(a, i);
        for (size_t j = 0; j < b->ntok; j++) {
            struct tok tb = norm_tok(b, j);
            if (!used[j] && ta.len == tb.len && memcmp(ta.s, tb.s, ta.len) == 0) {
                pair[i] = (int)j;
                sim[i] = 1.0;
                used[j] = 1;
                break;
            }
        }
    }
    for (size_t i = 0; i < a->ntok; i++) {
        if (pair[i] >= 0)
            continue;
        struct tok ta = norm_tok(a, i);
        for (size_t j = 0; j < b->ntok; j++) {
            if (used[j])
                continue;
            struct tok tb = norm_tok(b, j);
            double s = word_sim(&ta, &tb);
            if (s > sim[i]) {
                sim[i] = s;
                pair[i] = (int)j;
            }
        }
        if (pair[i] >= 0)
            used[pair[i]] = 1;
    }

    double num = 0.0, den = 0.0;
    int extra_a = 0, extra_b = 0;
    for (size_t i = 0; i < a->ntok; i++) {
        struct tok ta = norm_tok(a, i);
        double w = weight(&ta, kind);
        den += w;
        if (pair[i] >= 0) {
            struct tok tb = norm_tok(b, (size_t)pair[i]);
            num += sim[i] * (w + weight(&tb, kind));
        } else if (w >= 1.0) {
            extra_a = 1;
        }
    }
    for (size_t j = 0; j < b->ntok; j++) {
        struct tok tb = norm_tok(b, j);
        double w = weight(&tb, kind);
        den += w;
        if (!used[j] && w >= 1.0)
            extra_b = 1;
    }
    double s = num / den;
    if (extra_a && extra_b)
        s *= CONFLICT_FACTOR;
    else if (kind == MATCH_PRODUCT && (extra_a || extra_b))
        s *= PRODUCT_EXTRA_FACTOR;
    int score = (int)(s * 100.0 + 0.5);
    if (score > 99) /* 100 is kept for equal normalised names */
        score = 99;
    return score < 0 ? 0 : score;
}

int match_score(const char *a, const char *b, enum match_kind kind)
{
    struct norm na, nb;
    if (!kind_ok(kind))
        return 0;
    norm_build(a, kind, &na);
    norm_build(b, kind, &nb);
    return score_norm(&na, &nb, kind);
}

/* ---- SKUs ---- */

static int sku_sep(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '-' || c == ':' || c == '_' || c == '/' || c == '.';
}

struct sku_it {
    const unsigned char *p;
    int strip;     /* skip leading zeros of all-digit segments */
    int seg_start; /* at the start of a segment */
};

/* The next significant character, ASCII-lowercased; 0 at the end. */
static int sku_next(struct sku_it *it)
{
    for (;;) {
        unsigned char c = *it->p;
        if (c == 0)
            return 0;
        if (sku_sep(c)) {
            it->p++;
            it->seg_start = 1;
            continue;
        }
        if (it->seg_start) {
            it->seg_start = 0;
            if (it->strip && c == '0') {
                const unsigned char *e = it->p;
                while (*e >= '0' && *e <= '9')
                    e++;
                if (*e == 0 || sku_sep(*e)) /* all digits: keep at least the last one */
                    while (it->p + 1 < e && *it->p == '0')
                        it->p++;
                c = *it->p;
            }
        }
        it->p++;
        return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
    }
}

static int sku_same(const char *a, const char *b, int strip)
{
    struct sku_it x = {(const unsigned char *)a, strip, 1};
    struct sku_it y = {(const unsigned char *)b, strip, 1};
    for (;;) {
        int ca = sku_next(&x), cb = sku_next(&y);
        if (ca != cb)
            return 0;
        if (ca == 0)
            return 1;
    }
}

int match_sku_equal(const char *a, const char *b)
{
    if (a == NULL || b == NULL)
        return 0;
    struct sku_it e = {(const unsigned char *)a, 0, 1};
    if (sku_next(&e) == 0)
        return 0;
    /* either spelling may drop the separators, or the zeros of a numeric segment, not both */
    return sku_same(a, b, 0) || sku_same(a, b, 1);
}

/* ---- reasons and the best candidate ---- */

const char *match_reason_text(enum match_reason r)
{
    switch (r) {
    case MATCH_NONE: return "no match";
    case MATCH_REMEMBERED: return "linked before";
    case MATCH_SKU: return "same SKU";
    case MATCH_NAME_EXACT: return "same name";
    case MATCH_NAME_SIMILAR: return "similar name";
    }
    return "unknown";
}

static int ascii_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* Next character with case folded and whitespace runs trimmed/collapsed; 0 at the end. */
static int lit_next(const char **pp, int *started)
{
    const char *p = *pp;
    if (ascii_space(*p)) {
        while (ascii_space(*p))
            p++;
        if (*p && *started) {
            *pp = p;
            return ' ';
        }
    }
    if (*p == '\0') {
        *pp = p;
        return 0;
    }
    *started = 1;
    *pp = p + 1;
    return *p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : (unsigned char)*p;
}

static int literal_equal(const char *a, const char *b)
{
    int sa = 0, sb = 0;
    if (a == NULL || b == NULL)
        return 0;
    for (;;) {
        int ca = lit_next(&a, &sa), cb = lit_next(&b, &sb);
        if (ca != cb)
            return 0;
        if (ca == 0)
            return 1;
    }
}

int match_best(const char *name, const char *sku, const struct match_candidate *cands, size_t n,
               enum match_kind kind, struct match_result *out)
{
    struct norm q, c;
    size_t best = (size_t)-1;
    int best_rank = 0, best_score = -1;
    enum match_reason best_reason = MATCH_NONE;

    if (out == NULL)
        return 0;
    out->index = (size_t)-1;
    out->score = 0;
    out->reason = MATCH_NONE;
    if (cands == NULL || n == 0 || !kind_ok(kind))
        return 0;
    norm_build(name, kind, &q);
    for (size_t i = 0; i < n; i++) {
        const struct match_candidate *cd = &cands[i];
        enum match_reason reason;
        int rank, score;
        if (cd->remembered) {
            reason = MATCH_REMEMBERED;
            rank = 4;
            score = MATCH_SCORE_REMEMBERED;
        } else if (match_sku_equal(sku, cd->sku)) {
            reason = MATCH_SKU;
            rank = 3;
            score = MATCH_SCORE_SKU;
        } else {
            norm_build(cd->name, kind, &c);
            score = score_norm(&q, &c, kind);
            if (score == 100) {
                reason = MATCH_NAME_EXACT;
                rank = 2;
                score = literal_equal(name, cd->name) ? MATCH_SCORE_EXACT_LITERAL : MATCH_SCORE_EXACT;
            } else {
                reason = MATCH_NAME_SIMILAR;
                rank = 1;
            }
        }
        if (rank > best_rank || (rank == best_rank && score > best_score)) {
            best = i;
            best_rank = rank;
            best_score = score;
            best_reason = reason;
        }
    }
    if (best == (size_t)-1 || best_score < MATCH_FLOOR)
        return 0;
    out->index = best;
    out->score = best_score;
    out->reason = best_reason;
    return 1;
}
