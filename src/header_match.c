/* src/header_match.c - Which instrument column a header field names (src/header_match.h): exact
 * names, KoboToolbox group paths, labels and aliases, with the reason when a field matches none
 * or two. */
#include "header_match.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "label_match.h"
#include "text.h"

/* System columns of KoboToolbox and ODK without a leading '_' (formpack, ODK XForms meta). */
static const char *const meta_names[] = {
    "start", "end", "today", "deviceid", "subscriberid", "simserial", "phonenumber",
    "username", "email", "audit", "instanceID", "instanceName", "deprecatedID",
    /* written by sipas itself: the batch of an export, the row and reasons of a rejects file,
     * so that both import again as they are */
    "batch_id", "row", "problems", NULL,
};

static bool same_ascii_ci(const char *a, size_t alen, const char *b)
{
    return strlen(b) == alen && strncasecmp(a, b, alen) == 0;
}

static bool is_meta(const char *s, size_t len)
{
    if (len > 0 && s[0] == '_')
        return true;
    if ((len > 5 && strncasecmp(s, "meta/", 5) == 0) ||
        (len > 8 && strncasecmp(s, "formhub/", 8) == 0))
        return true;
    for (size_t i = 0; meta_names[i] != NULL; i++)
        if (same_ascii_ci(s, len, meta_names[i]))
            return true;
    return false;
}

/* Rule 1: the item whose name or alias s is, or -1. */
static long by_name(const sipas_instrument *inst, const char *s, size_t len)
{
    for (size_t k = 0; k < inst->nitems; k++)
        if (same_ascii_ci(s, len, inst->items[k].name))
            return (long)k;
    char *key = sipas_text_key(s, len, NULL);
    if (key == NULL)
        return -1;
    long found = -1;
    for (size_t k = 0; k < inst->nitems && found < 0; k++) {
        const sipas_item *it = &inst->items[k];
        for (size_t a = 0; a < it->naliases && found < 0; a++) {
            char *alias = sipas_text_key(it->aliases[a], strlen(it->aliases[a]), NULL);
            if (alias != NULL && strcmp(alias, key) == 0)
                found = (long)k;
            free(alias);
        }
    }
    free(key);
    return found;
}

typedef char *(*key_fn)(const char *text, size_t len);

static char *exact_key(const char *text, size_t len)
{
    return sipas_text_key(text, len, NULL);
}

/* Rule 4 at one level of keys: the number of items whose label has the key of s (the first
 * two kept in found). */
static size_t by_label(const sipas_instrument *inst, const char *s, size_t len, key_fn key_of,
                       size_t found[2])
{
    char *key = key_of(s, len);
    size_t n = 0;
    for (size_t k = 0; key != NULL && key[0] != '\0' && k < inst->nitems; k++) {
        const char *labels[2] = {inst->items[k].label_vi, inst->items[k].label_en};
        for (int l = 0; l < 2; l++) {
            char *label = labels[l][0] != '\0' ? key_of(labels[l], strlen(labels[l])) : NULL;
            bool same = label != NULL && strcmp(label, key) == 0;
            free(label);
            if (same) {
                if (n < 2)
                    found[n] = k;
                n++;
                break;
            }
        }
    }
    free(key);
    return n;
}

sipas_header_kind sipas_header_match(const sipas_instrument *inst, const char *field, size_t len,
                                     size_t *item, char *reason, size_t reason_size)
{
    size_t start, n;
    sipas_text_trim(field, len, &start, &n);
    const char *s = field + start;
    const char *slash = n > 0 ? memchr(s, '/', n) : NULL;
    const char *last = s;
    for (const char *p = slash; p != NULL; p = memchr(p + 1, '/', (size_t)(s + n - p - 1)))
        last = p + 1;
    size_t last_len = (size_t)(s + n - last);
    long k = by_name(inst, s, n);
    if (k < 0 && is_meta(s, n))
        return SIPAS_HEADER_META;
    if (k < 0 && slash != NULL) {
        k = by_name(inst, last, last_len);
        if (k < 0 && is_meta(last, last_len))
            return SIPAS_HEADER_META;
    }
    if (k >= 0) {
        *item = (size_t)k;
        return SIPAS_HEADER_ITEM;
    }
    static const key_fn levels[] = {exact_key, sipas_label_tone_key, sipas_label_loose_key};
    for (int whole = 1; whole >= 0; whole--) {
        if (!whole && slash == NULL)
            break;
        for (size_t level = 0; level < sizeof levels / sizeof levels[0]; level++) {
            size_t found[2];
            size_t count = whole ? by_label(inst, s, n, levels[level], found)
                                 : by_label(inst, last, last_len, levels[level], found);
            if (count == 1) {
                *item = found[0];
                return SIPAS_HEADER_ITEM;
            }
            if (count > 1) {
                if (reason != NULL)
                    snprintf(reason, reason_size, "names more than one column by its label: "
                             "'%s' (%s), '%s' (%s)%s; write the column name instead",
                             inst->items[found[0]].name, inst->items[found[0]].label_vi,
                             inst->items[found[1]].name, inst->items[found[1]].label_vi,
                             count > 2 ? " and more" : "");
                return SIPAS_HEADER_AMBIGUOUS;
            }
        }
    }
    return SIPAS_HEADER_UNKNOWN;
}

bool sipas_header_is_submission_id(const char *field, size_t len)
{
    size_t start, n;
    sipas_text_trim(field, len, &start, &n);
    const char *s = field + start;
    if (same_ascii_ci(s, n, "_uuid"))
        return true;
    const char *suffix = "/instanceID";
    size_t sl = strlen(suffix);
    return same_ascii_ci(s, n, "instanceID") ||
           (n > sl && strncasecmp(s + n - sl, suffix, sl) == 0);
}
