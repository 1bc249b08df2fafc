/* src/label_match.c - Typed answers against a choice list (src/label_match.h): codes, labels
 * with or without diacritics and old tone placement, matched through utf8proc keys. */
#include "label_match.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

#include "hash_map.h"
#include "text.h"

/* Distinct texts cached per list; beyond this a text is matched each time (a column with that
 * many distinct answers is not a choice column anyone typed by hand). */
#define CACHE_SLOTS 2048
#define CACHE_MAX (CACHE_SLOTS / 2)
/* Loose keys longer than this are not compared for "did you mean" (labels are short). */
#define NEAREST_MAX_BYTES 96
/* Choices listed in a refusal before "and N more". */
#define LISTED_MAX 8
#define REASON_MAX 480

typedef struct choice_keys {
    const sipas_choice *choice;
    size_t nkeys;
    char **tone;   /* tone keys of label_vi, label_en and the aliases */
    char **loose;
} choice_keys;

typedef struct cache_slot {
    char *text;                 /* NULL: empty slot */
    size_t len;
    const sipas_choice *choice;
    char *reason;
} cache_slot;

struct sipas_label_index {
    const sipas_choice_list *list;
    choice_keys *keys;
    cache_slot *cache;
    size_t cached;
    char *uncached_reason;      /* the reason of the last text that did not fit the cache */
};

static bool is_tone_mark(utf8proc_int32_t cp)
{
    return cp == 0x0300 || cp == 0x0301 || cp == 0x0303 || cp == 0x0309 || cp == 0x0323;
}

/* A word ends at a space or an ASCII character that is not a letter or digit. */
static bool ends_word(utf8proc_int32_t cp)
{
    if (cp >= 0x80)
        return false;
    return !((cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') || (cp >= '0' && cp <= '9'));
}

/* The text key decomposed (NFD); then, for the tone key, each word's tone mark moved to the
 * word's end, or, for the loose key, every combining mark dropped and đ written d. */
static char *derived_key(const char *text, size_t len, bool loose)
{
    char *key = sipas_text_key(text, len, NULL);
    if (key == NULL)
        return NULL;
    utf8proc_uint8_t *nfd = NULL;
    utf8proc_ssize_t n = utf8proc_map((const utf8proc_uint8_t *)key, (utf8proc_ssize_t)strlen(key),
                                      &nfd, UTF8PROC_STABLE | UTF8PROC_DECOMPOSE);
    free(key);
    if (n < 0)
        return NULL;
    char *out = malloc((size_t)n + 8);
    if (out == NULL) {
        free(nfd);
        return NULL;
    }
    size_t o = 0;
    utf8proc_int32_t tone = 0;
    for (utf8proc_ssize_t i = 0; i < n;) {
        utf8proc_int32_t cp;
        utf8proc_ssize_t step = utf8proc_iterate(nfd + i, n - i, &cp);
        if (step <= 0)
            break;
        i += step;
        if (loose) {
            if (cp >= 0x0300 && cp <= 0x036F)
                continue;
            if (cp == 0x0111)
                cp = 'd';
        } else {
            if (is_tone_mark(cp)) {
                tone = cp;
                continue;
            }
            if (ends_word(cp) && tone != 0) {
                /* the tone moved to the end of its word takes at most the bytes it had */
                o += (size_t)utf8proc_encode_char(tone, (utf8proc_uint8_t *)out + o);
                tone = 0;
            }
        }
        o += (size_t)utf8proc_encode_char(cp, (utf8proc_uint8_t *)out + o);
    }
    if (tone != 0)
        o += (size_t)utf8proc_encode_char(tone, (utf8proc_uint8_t *)out + o);
    out[o] = '\0';
    free(nfd);
    return out;
}

char *sipas_label_tone_key(const char *text, size_t len)
{
    return derived_key(text, len, false);
}

char *sipas_label_loose_key(const char *text, size_t len)
{
    return derived_key(text, len, true);
}

static void free_keys(choice_keys *k)
{
    for (size_t i = 0; i < k->nkeys; i++) {
        free(k->tone[i]);
        free(k->loose[i]);
    }
    free(k->tone);
    free(k->loose);
}

void sipas_label_index_free(sipas_label_index *index)
{
    if (index == NULL)
        return;
    for (size_t c = 0; index->keys != NULL && c < index->list->nchoices; c++)
        free_keys(&index->keys[c]);
    free(index->keys);
    for (size_t s = 0; index->cache != NULL && s < CACHE_SLOTS; s++) {
        free(index->cache[s].text);
        free(index->cache[s].reason);
    }
    free(index->cache);
    free(index->uncached_reason);
    free(index);
}

sipas_status sipas_label_index_new(const sipas_choice_list *list, sipas_label_index **out,
                                   sipas_error *err)
{
    sipas_label_index *ix = calloc(1, sizeof *ix);
    if (ix == NULL)
        return sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
    ix->list = list;
    ix->keys = calloc(list->nchoices ? list->nchoices : 1, sizeof *ix->keys);
    ix->cache = calloc(CACHE_SLOTS, sizeof *ix->cache);
    bool ok = ix->keys != NULL && ix->cache != NULL;
    for (size_t c = 0; ok && c < list->nchoices; c++) {
        const sipas_choice *ch = &list->choices[c];
        choice_keys *k = &ix->keys[c];
        k->choice = ch;
        size_t n = 2 + ch->naliases;
        k->tone = calloc(n, sizeof *k->tone);
        k->loose = calloc(n, sizeof *k->loose);
        ok = k->tone != NULL && k->loose != NULL;
        for (size_t i = 0; ok && i < n; i++) {
            const char *label = i == 0 ? ch->label_vi : i == 1 ? ch->label_en : ch->aliases[i - 2];
            k->tone[i] = sipas_label_tone_key(label, strlen(label));
            k->loose[i] = sipas_label_loose_key(label, strlen(label));
            k->nkeys = i + 1;
            ok = k->tone[i] != NULL && k->loose[i] != NULL;
        }
    }
    if (!ok) {
        sipas_label_index_free(ix);
        return sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
    }
    *out = ix;
    return SIPAS_OK;
}

static const char *shown_label(const sipas_choice *ch)
{
    return ch->label_vi[0] != '\0' ? ch->label_vi : ch->label_en;
}

/* "4.0" or "4.00" for an integer code: the digits before the point, or 0 when s is not so. */
static size_t integer_with_zero_fraction(const char *s, size_t len)
{
    const char *point = memchr(s, '.', len);
    if (point == NULL || point == s || point + 1 == s + len)
        return 0;
    for (const char *p = s + (*s == '-'); p < point; p++)
        if (*p < '0' || *p > '9')
            return 0;
    for (const char *p = point + 1; p < s + len; p++)
        if (*p != '0')
            return 0;
    return (size_t)(point - s);
}

static const sipas_choice *code_match(const sipas_choice_list *list, const char *s, size_t len)
{
    for (size_t c = 0; c < list->nchoices; c++) {
        const char *code = list->choices[c].name;
        if (strlen(code) == len && memcmp(code, s, len) == 0)
            return &list->choices[c];
    }
    return NULL;
}

/* Choices with key among their tone (loose = false) or loose keys; at most max are stored. */
static size_t choices_with_key(const sipas_label_index *ix, const char *key, bool loose,
                               const sipas_choice **found, size_t max)
{
    size_t n = 0;
    if (key[0] == '\0')
        return 0;
    for (size_t c = 0; c < ix->list->nchoices; c++) {
        const choice_keys *k = &ix->keys[c];
        for (size_t i = 0; i < k->nkeys; i++) {
            if (strcmp(loose ? k->loose[i] : k->tone[i], key) == 0) {
                if (n < max)
                    found[n] = k->choice;
                n++;
                break;
            }
        }
    }
    return n;
}

/* Levenshtein distance of two short byte strings; SIZE_MAX when either is too long. */
static size_t edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > NEAREST_MAX_BYTES || lb > NEAREST_MAX_BYTES)
        return SIZE_MAX;
    size_t row[NEAREST_MAX_BYTES + 1];
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diagonal = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t best = diagonal + (a[i - 1] != b[j - 1]);
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diagonal = up;
        }
    }
    return row[lb];
}

__attribute__((format(printf, 3, 4)))
static void append(char *buf, size_t *used, const char *fmt, ...)
{
    if (*used + 1 >= REASON_MAX)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf + *used, REASON_MAX - *used, fmt, ap);
    va_end(ap);
    if (n > 0)
        *used = *used + (size_t)n < REASON_MAX ? *used + (size_t)n : REASON_MAX - 1;
}

/* Why text matches no single choice: ambiguity (candidates given), or the nearest choice, or
 * the allowed values. malloc'd. */
static char *refusal(const sipas_label_index *ix, const char *text, size_t len, const char *loose,
                     const sipas_choice *const *candidates, size_t ncandidates)
{
    char *buf = malloc(REASON_MAX);
    if (buf == NULL)
        return NULL;
    size_t used = 0;
    char shown[96];
    snprintf(shown, sizeof shown, "%.*s", (int)(len > 80 ? 80 : len), text);
    if (ncandidates > 1) {
        append(buf, &used, "'%s' matches more than one choice of list '%s' when accents are "
               "ignored:", shown, ix->list->name);
        for (size_t i = 0; i < ncandidates && i < LISTED_MAX; i++)
            append(buf, &used, i ? ", %s (%s)" : " %s (%s)", candidates[i]->name,
                   shown_label(candidates[i]));
        append(buf, &used, "; write it with its accents, or use the code");
        return buf;
    }
    append(buf, &used, "'%s' is not a code or label of list '%s'", shown, ix->list->name);
    const sipas_choice *nearest = NULL;
    size_t best = SIZE_MAX, second = SIZE_MAX;
    for (size_t c = 0; loose != NULL && c < ix->list->nchoices; c++) {
        const choice_keys *k = &ix->keys[c];
        size_t d = SIZE_MAX;
        for (size_t i = 0; i < k->nkeys; i++) {
            size_t di = k->loose[i][0] != '\0' ? edit_distance(loose, k->loose[i]) : SIZE_MAX;
            if (di < d)
                d = di;
        }
        if (d < best) {
            second = best;
            best = d;
            nearest = k->choice;
        } else if (d < second) {
            second = d;
        }
    }
    size_t loose_len = loose ? strlen(loose) : 0;
    if (nearest != NULL && best <= 1 + loose_len / 4 && best < second) {
        append(buf, &used, "; did you mean '%s' (%s)?", shown_label(nearest), nearest->name);
        return buf;
    }
    append(buf, &used, "; allowed:");
    for (size_t c = 0; c < ix->list->nchoices && c < LISTED_MAX; c++)
        append(buf, &used, c ? ", %s %s" : " %s %s", ix->list->choices[c].name,
               shown_label(&ix->list->choices[c]));
    if (ix->list->nchoices > LISTED_MAX)
        append(buf, &used, " and %zu more", ix->list->nchoices - LISTED_MAX);
    return buf;
}

/* Levels 1-4 of the header comment, uncached. Sets *reason (malloc'd) when there is no match. */
static const sipas_choice *match_uncached(const sipas_label_index *ix, const char *s, size_t len,
                                          char **reason)
{
    *reason = NULL;
    const sipas_choice *ch = code_match(ix->list, s, len);
    size_t digits = ch == NULL ? integer_with_zero_fraction(s, len) : 0;
    if (digits > 0)
        ch = code_match(ix->list, s, digits);
    if (ch == NULL)
        ch = sipas_choice_list_match(ix->list, s, len);
    if (ch != NULL)
        return ch;
    const sipas_choice *found[LISTED_MAX];
    size_t nfound = 0;
    char *tone = sipas_label_tone_key(s, len);
    if (tone != NULL)
        nfound = choices_with_key(ix, tone, false, found, LISTED_MAX);
    free(tone);
    char *loose = NULL;
    if (nfound == 0 && (loose = sipas_label_loose_key(s, len)) != NULL)
        nfound = choices_with_key(ix, loose, true, found, LISTED_MAX);
    if (nfound == 1) {
        free(loose);
        return found[0];
    }
    *reason = refusal(ix, s, len, loose, found, nfound < LISTED_MAX ? nfound : LISTED_MAX);
    free(loose);
    return NULL;
}

const sipas_choice *sipas_label_index_match(sipas_label_index *ix, const char *text, size_t len,
                                            const char **reason)
{
    *reason = NULL;
    size_t start, n;
    sipas_text_trim(text, len, &start, &n);
    if (n == 0) {
        *reason = "empty";
        return NULL;
    }
    const char *s = text + start;
    size_t slot = (size_t)(hash_bytes(s, n) % CACHE_SLOTS);
    while (ix->cache[slot].text != NULL) {
        cache_slot *e = &ix->cache[slot];
        if (e->len == n && memcmp(e->text, s, n) == 0) {
            *reason = e->reason;
            return e->choice;
        }
        slot = (slot + 1) % CACHE_SLOTS;
    }
    char *why = NULL;
    const sipas_choice *ch = match_uncached(ix, s, n, &why);
    char *copy = ix->cached < CACHE_MAX ? malloc(n + 1) : NULL;
    if (copy == NULL) {
        free(ix->uncached_reason);
        ix->uncached_reason = why;
        *reason = why;
        return ch;
    }
    memcpy(copy, s, n);
    copy[n] = '\0';
    ix->cache[slot] = (cache_slot){.text = copy, .len = n, .choice = ch, .reason = why};
    ix->cached++;
    *reason = why;
    return ch;
}
