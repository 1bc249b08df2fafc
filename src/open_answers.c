/* Answers to open-ended questions by unit, with personal data masked (sipas/open_answers.h). */
#include "sipas/open_answers.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"

/* ---------------------------------------------------------------------------------------------
 * Masking. */

/* A part of the text to replace: [start, end) by the mask of kind. */
typedef struct mask_span {
    size_t start, end;
    unsigned kind; /* SIPAS_MASKED_* */
} mask_span;

typedef struct span_list {
    mask_span *spans;
    size_t n, cap;
    bool failed;
} span_list;

static void span_add(span_list *l, size_t start, size_t end, unsigned kind)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 8;
        mask_span *grown = realloc(l->spans, cap * sizeof *grown);
        if (grown == NULL) {
            l->failed = true;
            return;
        }
        l->spans = grown;
        l->cap = cap;
    }
    l->spans[l->n++] = (mask_span){start, end, kind};
}

static bool is_digit(char c) { return c >= '0' && c <= '9'; }
static bool is_alnum(char c)
{
    return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
static bool is_email_local(char c) { return is_alnum(c) || strchr("._%+-", c) != NULL; }
static bool is_email_domain(char c) { return is_alnum(c) || c == '.' || c == '-'; }

/* The e-mail address around the '@' at text[at], as [*start, *end); false when it is none (no
 * local part, no dot in the domain, a top-level domain of fewer than two letters). */
static bool email_at(const char *text, size_t len, size_t at, size_t *start, size_t *end)
{
    size_t l = at, r = at + 1;
    while (l > 0 && is_email_local(text[l - 1]))
        l--;
    while (r < len && is_email_domain(text[r]))
        r++;
    if (l == at || r == at + 1)
        return false;
    /* A top-level domain has letters only: "ab@gmail.com0912345678" or "ab@gmail.com.2500000"
     * is an address run into a number, which is masked on its own; the address ends before it
     * (so masking the result again finds the same address). A full stop or hyphen at the end
     * is the sentence's. */
    size_t dot;
    for (;;) {
        while (r > at + 1 && (text[r - 1] == '.' || text[r - 1] == '-'))
            r--;
        dot = r;
        while (dot > at + 1 && text[dot - 1] != '.')
            dot--;
        if (dot <= at + 2) /* no dot, or a dot right after '@' */
            return false;
        size_t k = dot;
        while (k < r && !is_digit(text[k]))
            k++;
        if (k == r)
            break;
        r = k;
    }
    for (size_t k = dot; k < r; k++)
        if (text[k] == '-')
            return false;
    if (r - dot < 2)
        return false;
    *start = l;
    *end = r;
    return true;
}

/* A group of digits of a number as written: "0912", "345", "678" in "0912 345 678". */
typedef struct digit_group {
    size_t start, end;   /* the digits */
    size_t lead;         /* where a span beginning at this group begins: a '+' and a '(' before
                            it are part of the number */
    bool plus;           /* written after '+' (an international prefix) */
} digit_group;

/* One character between two groups of one number: ASCII space, '.', '-', brackets, or the
 * no-break space (U+00A0, C2 A0 in UTF-8, which spreadsheets put in numbers). Returns its length
 * in bytes, 0 when text[i] is none. */
static size_t separator_at(const char *text, size_t len, size_t i)
{
    if (text[i] == ' ' || text[i] == '.' || text[i] == '-' || text[i] == '(' || text[i] == ')')
        return 1;
    if ((unsigned char)text[i] == 0xC2 && i + 1 < len && (unsigned char)text[i + 1] == 0xA0)
        return 2;
    return 0;
}

#define NUMBER_DIGITS_MAX 16 /* a candidate longer than this is no phone and no grouped ID */

static bool national_phone(const char *d, size_t n)
{
    if (n == 10)
        return d[0] == '0' && strchr("35789", d[1]) != NULL; /* mobile since 2018 */
    if (n == 11)
        return d[0] == '0' && (d[1] == '2' || d[1] == '1'); /* landline with area code; old mobile */
    return false;
}

/* Whether the digits d[0..n) are a Vietnamese phone number; plus: written after '+'; dotted:
 * its groups are separated by dots, as amounts are ("84.912.345.678 đồng" is 84 billion, not
 * +84 912 345 678: without a '+', only a number grouped otherwise is read as one). */
static bool phone_number(const char *d, size_t n, bool plus, bool dotted)
{
    if (n >= 2 && d[0] == '8' && d[1] == '4' && (plus || ((n == 11 || n == 12) && !dotted))) {
        char national[NUMBER_DIGITS_MAX + 2] = "0";
        const char *rest = d + 2;
        size_t m = n - 2;
        if (m > 0 && rest[0] == '0') { /* "+84 0912...": the 0 left in */
            rest++;
            m--;
        }
        memcpy(national + 1, rest, m);
        return national_phone(national, m + 1);
    }
    return !plus && national_phone(d, n);
}

/* The digits of groups [i, j] into d; returns how many (at most NUMBER_DIGITS_MAX + 1). */
static size_t group_digits(const char *text, const digit_group *g, size_t i, size_t j, char *d)
{
    size_t n = 0;
    for (size_t k = i; k <= j && n <= NUMBER_DIGITS_MAX; k++)
        for (size_t p = g[k].start; p < g[k].end && n <= NUMBER_DIGITS_MAX; p++)
            d[n++] = text[p];
    return n;
}

/* Masks the phone and ID numbers among the groups of one written number. */
static void mask_groups(const char *text, const digit_group *g, size_t ngroups, span_list *l)
{
    char d[NUMBER_DIGITS_MAX + 1];
    for (size_t i = 0; i < ngroups;) {
        size_t best = SIZE_MAX;
        unsigned kind = 0;
        bool dotted = false;
        for (size_t j = i; j < ngroups; j++) {
            size_t n = group_digits(text, g, i, j, d);
            if (n > NUMBER_DIGITS_MAX)
                break;
            dotted |= j > i && memchr(text + g[j - 1].end, '.', g[j].start - g[j - 1].end);
            if (phone_number(d, n, g[i].plus, dotted)) {
                best = j;
                kind = SIPAS_MASKED_PHONE;
            } else if (j > i && (n == 9 || n == 12) && d[0] == '0') {
                best = j; /* an ID read out in groups */
                kind = SIPAS_MASKED_ID;
            }
        }
        if (best == SIZE_MAX && g[i].end - g[i].start >= 9) {
            best = i;
            kind = SIPAS_MASKED_ID;
        }
        if (best == SIZE_MAX) {
            i++;
            continue;
        }
        size_t start = g[i].lead;
        /* "(0205) 3812 345": the bracket opened before the area code goes with it */
        if (start > 0 && text[start - 1] == '(' && memchr(text + start, ')', g[best].end - start))
            start--;
        span_add(l, start, g[best].end, kind);
        i = best + 1;
    }
}

/* Every number of text outside the e-mail spans found so far: its groups, then mask_groups. */
static void find_numbers(const char *text, size_t len, span_list *l)
{
    size_t nemail = l->n, e = 0;
    digit_group groups[64];
    size_t i = 0;
    while (i < len && !l->failed) {
        while (e < nemail && l->spans[e].end <= i)
            e++;
        if (e < nemail && i >= l->spans[e].start) {
            i = l->spans[e].end;
            continue;
        }
        if (!is_digit(text[i])) {
            i++;
            continue;
        }
        size_t ngroups = 0;
        size_t limit = e < nemail ? l->spans[e].start : len;
        for (;;) {
            digit_group *g = &groups[ngroups++];
            g->start = i;
            while (i < limit && is_digit(text[i]))
                i++;
            g->end = i;
            g->lead = g->start;
            g->plus = false;
            if (g->lead > 0 && text[g->lead - 1] == '+') {
                g->plus = true;
                g->lead--;
                if (g->lead > 0 && text[g->lead - 1] == '(')
                    g->lead--;
            }
            /* up to three separator characters, then more digits: the same number */
            size_t k = i, nsep = 0;
            while (k < limit && nsep < 3) {
                size_t s = separator_at(text, limit, k);
                if (s == 0)
                    break;
                k += s;
                nsep++;
            }
            if (ngroups == sizeof groups / sizeof groups[0] || nsep == 0 || k >= limit ||
                !(is_digit(text[k]) || (text[k] == '+' && k + 1 < limit && is_digit(text[k + 1]))))
                break;
            i = text[k] == '+' ? k + 1 : k;
        }
        mask_groups(text, groups, ngroups, l);
    }
}

static int compare_span(const void *a, const void *b)
{
    const mask_span *x = a, *y = b;
    return x->start < y->start ? -1 : x->start > y->start;
}

static const char *mask_words(unsigned kind, sipas_report_lang lang)
{
    bool vi = lang == SIPAS_REPORT_VI;
    switch (kind) {
    case SIPAS_MASKED_PHONE: return vi ? "[số điện thoại]" : "[phone]";
    case SIPAS_MASKED_EMAIL: return "[email]";
    default: return vi ? "[số định danh]" : "[ID number]";
    }
}

/* One pass of sipas_open_answer_mask; *out_len gets the result's length (it may hold a NUL
 * the input had). */
static char *mask_once(const char *text, size_t len, sipas_report_lang lang, unsigned *masked,
                       size_t *out_len)
{
    span_list l = {0};
    for (size_t i = 0; i < len; i++) {
        size_t start, end;
        if (text[i] == '@' && email_at(text, len, i, &start, &end)) {
            /* the local part may reach back over an earlier address's domain: keep them apart */
            if (l.n > 0 && start < l.spans[l.n - 1].end)
                start = l.spans[l.n - 1].end;
            span_add(&l, start, end, SIPAS_MASKED_EMAIL);
            i = end - 1;
        }
    }
    find_numbers(text, len, &l);
    if (l.failed) {
        free(l.spans);
        return NULL;
    }
    if (l.n > 1) /* qsort's base must not be NULL, even for no element */
        qsort(l.spans, l.n, sizeof *l.spans, compare_span);
    size_t size = len + 1;
    for (size_t k = 0; k < l.n; k++)
        size += strlen(mask_words(l.spans[k].kind, lang));
    char *out = malloc(size);
    if (out == NULL) {
        free(l.spans);
        return NULL;
    }
    size_t o = 0, from = 0;
    unsigned kinds = 0;
    for (size_t k = 0; k < l.n; k++) {
        const char *words = mask_words(l.spans[k].kind, lang);
        memcpy(out + o, text + from, l.spans[k].start - from);
        o += l.spans[k].start - from;
        memcpy(out + o, words, strlen(words));
        o += strlen(words);
        from = l.spans[k].end;
        kinds |= l.spans[k].kind;
    }
    memcpy(out + o, text + from, len - from);
    out[o + len - from] = '\0';
    *out_len = o + len - from;
    free(l.spans);
    *masked = kinds;
    return out;
}

char *sipas_open_answer_mask(const char *text, size_t len, sipas_report_lang lang,
                             unsigned *masked)
{
    /* A mask can complete what its neighbour hid: "x@mail.co0912345678m.2" shows the address
     * "x@mail.co" only once the number after it is replaced. So the passes repeat until one
     * changes nothing, and masking a masked text changes nothing. Each pass that changes
     * something removes an '@' or a digit, and masks hold neither: it ends. */
    unsigned kinds = 0, pass_kinds = 0;
    size_t out_len = 0;
    char *out = mask_once(text, len, lang, &pass_kinds, &out_len);
    while (out != NULL && pass_kinds != 0) {
        kinds |= pass_kinds;
        size_t again_len = 0;
        char *again = mask_once(out, out_len, lang, &pass_kinds, &again_len);
        free(out);
        out = again;
        out_len = again_len;
    }
    if (masked)
        *masked = kinds;
    return out;
}

/* ---------------------------------------------------------------------------------------------
 * Counting and listing. */

/* Answers that only say there is nothing to say, as sipas_text_key gives them (without a final
 * full stop or exclamation mark). Counted apart from the comments and not listed. */
static const char *const no_comment_keys[] = {
    "không", "không có", "không có ý kiến", "không có ý kiến gì", "không ý kiến",
    "không có góp ý", "không có góp ý gì", "không góp ý", "không có gì", "chưa có ý kiến",
    "chưa có góp ý", "ko", "k", "không có ý kiến đóng góp", "-", "x",
    "none", "no", "no comment", "no comments", "nothing", "n/a"};

static bool says_no_comment(const char *text, size_t len)
{
    sipas_error err = {0};
    char *key = sipas_text_key(text, len, &err);
    if (key == NULL)
        return false; /* not UTF-8 (the import refuses it) or no memory: listed as written */
    size_t n = strlen(key);
    while (n > 0 && (key[n - 1] == '.' || key[n - 1] == '!' || key[n - 1] == ' '))
        n--;
    key[n] = '\0';
    bool found = n == 0; /* only punctuation */
    for (size_t i = 0; i < sizeof no_comment_keys / sizeof no_comment_keys[0] && !found; i++)
        found = strcmp(key, no_comment_keys[i]) == 0;
    free(key);
    return found;
}

size_t sipas_open_questions(const sipas_instrument *inst, const sipas_item **items)
{
    size_t n = 0;
    for (size_t i = 0; i < inst->nitems; i++) {
        const sipas_item *it = &inst->items[i];
        if (it->type == SIPAS_TYPE_TEXT && it->role == SIPAS_ROLE_NONE && !it->personal)
            items[n++] = it;
    }
    return n;
}

void sipas_open_answers_free(sipas_open_answers *answers)
{
    if (answers == NULL)
        return;
    for (size_t u = 0; u < answers->nunits; u++) {
        for (size_t a = 0; a < answers->units[u].nanswers; a++)
            free(answers->units[u].answers[a].text);
        free(answers->units[u].answers);
    }
    free(answers->units);
    free(answers);
}

/* Unit slots before the units without respondents are dropped: a list column's choices, or a
 * text column's values in byte order; then one slot for rows without a unit. slot_of_level maps
 * a text column's value (level) to its slot. */
typedef struct unit_slots {
    size_t n;             /* including the last, unit-less slot */
    size_t *slot_of_level;
    const char **code;
    const sipas_choice **choice;
} unit_slots;

typedef struct level_ref {
    const char *text;
    size_t level;
} level_ref;

static int compare_level(const void *a, const void *b)
{
    return strcmp(((const level_ref *)a)->text, ((const level_ref *)b)->text);
}

static sipas_status slots_make(const sipas_column *c, unit_slots *s, sipas_error *err)
{
    memset(s, 0, sizeof *s);
    const sipas_choice_list *list = c ? c->item->list : NULL;
    size_t nlevels = c && c->is_text ? c->nlevels : 0;
    size_t named = list ? list->nchoices : nlevels;
    s->n = named + 1;
    s->code = calloc(s->n, sizeof *s->code);
    s->choice = calloc(s->n, sizeof *s->choice);
    s->slot_of_level = calloc(nlevels ? nlevels : 1, sizeof *s->slot_of_level);
    level_ref *order = calloc(nlevels ? nlevels : 1, sizeof *order);
    if (!s->code || !s->choice || !s->slot_of_level || !order) {
        free(order);
        return sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
    }
    if (list != NULL) {
        for (size_t k = 0; k < list->nchoices; k++) {
            s->code[k] = list->choices[k].name;
            s->choice[k] = &list->choices[k];
        }
        for (size_t v = 0; v < nlevels; v++) {
            const sipas_choice *ch = sipas_choice_list_match(list, c->levels[v],
                                                             strlen(c->levels[v]));
            s->slot_of_level[v] = ch ? (size_t)(ch - list->choices) : named;
        }
    } else if (nlevels > 0) {
        for (size_t v = 0; v < nlevels; v++)
            order[v] = (level_ref){c->levels[v], v};
        qsort(order, nlevels, sizeof *order, compare_level);
        for (size_t k = 0; k < nlevels; k++) {
            s->code[k] = order[k].text;
            s->slot_of_level[order[k].level] = k;
        }
    }
    free(order);
    return SIPAS_OK;
}

static void slots_release(unit_slots *s)
{
    free(s->slot_of_level);
    free(s->code);
    free(s->choice);
}

/* The slot of row i. */
static size_t slot_of_row(const sipas_column *c, const unit_slots *s, size_t i)
{
    size_t none = s->n - 1;
    if (c == NULL)
        return none;
    if (c->is_text)
        return c->level[i] < 0 ? none : s->slot_of_level[c->level[i]];
    double v = sipas_column_number(c, i);
    const sipas_choice_list *list = c->item->list;
    for (size_t k = 0; list && k < list->nchoices; k++)
        if (list->choices[k].has_value && (double)list->choices[k].value == v)
            return k;
    return none;
}

static int compare_answer(const void *a, const void *b)
{
    return strcmp(((const sipas_open_answer *)a)->text, ((const sipas_open_answer *)b)->text);
}

static sipas_status check_question(const sipas_dataset *data, const char *question,
                                   const sipas_column **out, sipas_error *err)
{
    const sipas_item *it = sipas_instrument_item(data->inst, question);
    if (it == NULL)
        return sipas_error_set(err, SIPAS_ERR_NOT_FOUND, "form '%s' has no question '%s'",
                               data->inst->form_id, question);
    if (it->personal)
        return sipas_error_set(err, SIPAS_ERR_USAGE, "'%s' is a personal column: its answers are "
                               "never listed (docs/security.md)", question);
    if (it->type != SIPAS_TYPE_TEXT || it->role != SIPAS_ROLE_NONE)
        return sipas_error_set(err, SIPAS_ERR_USAGE, "'%s' is not an open-ended question (a text "
                               "item without a role)", question);
    *out = sipas_dataset_column(data, question);
    if (*out == NULL || !(*out)->loaded)
        return sipas_error_set(err, SIPAS_ERR_NOT_FOUND, "no answers to '%s' are stored: no "
                               "batch of form '%s' was imported under a version that asks it",
                               question, data->inst->form_id);
    return SIPAS_OK;
}

sipas_status sipas_open_answers_compute(const sipas_dataset *data, const char *question,
                                        const char *unit_column, double wave,
                                        sipas_report_lang lang, sipas_open_answers **out,
                                        sipas_error *err)
{
    *out = NULL;
    const sipas_column *q = NULL, *unit = NULL;
    sipas_status st = check_question(data, question, &q, err);
    if (st != SIPAS_OK)
        return st;
    if (unit_column != NULL) {
        if (sipas_instrument_item(data->inst, unit_column) == NULL)
            return sipas_error_set(err, SIPAS_ERR_NOT_FOUND, "form '%s' has no column '%s'",
                                   data->inst->form_id, unit_column);
        unit = sipas_dataset_column(data, unit_column);
        if (unit == NULL || !unit->loaded || unit->item->personal)
            return sipas_error_set(err, SIPAS_ERR_USAGE, "'%s' cannot group the answers (a "
                                   "personal column, the respondent id, or not loaded)",
                                   unit_column);
        if (!unit->is_text && unit->item->list == NULL)
            return sipas_error_set(err, SIPAS_ERR_USAGE, "'%s' is a number without a choice list: "
                                   "it cannot group the answers", unit_column);
    }
    const sipas_column *wave_column = sipas_dataset_role(data, SIPAS_ROLE_WAVE);
    unit_slots slots;
    sipas_open_answers *r = calloc(1, sizeof *r);
    if (r == NULL)
        return sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
    if ((st = slots_make(unit, &slots, err)) != SIPAS_OK) {
        slots_release(&slots);
        free(r);
        return st;
    }
    r->question = q->item;
    r->unit_item = unit ? unit->item : NULL;
    r->wave = wave;
    r->units = calloc(slots.n, sizeof *r->units);
    size_t *slot = calloc(data->n ? data->n : 1, sizeof *slot);
    if (r->units == NULL || slot == NULL)
        st = sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
    r->nunits = r->units ? slots.n : 0;
    /* first pass: counts, so that each unit's answers are allocated once */
    for (size_t i = 0; st == SIPAS_OK && i < data->n; i++) {
        slot[i] = SIZE_MAX;
        if (wave_column != NULL && sipas_column_number(wave_column, i) != wave)
            continue;
        sipas_open_answer_unit *u = &r->units[slot[i] = slot_of_row(unit, &slots, i)];
        u->respondents++;
        const char *text = q->level[i] >= 0 ? q->levels[q->level[i]] : "";
        size_t start, len;
        sipas_text_trim(text, strlen(text), &start, &len);
        if (len == 0)
            u->empty++;
        else if (says_no_comment(text + start, len))
            u->no_comment++;
        else
            u->answered++;
    }
    for (size_t k = 0; st == SIPAS_OK && k < slots.n; k++) {
        r->units[k].code = slots.code[k];
        r->units[k].choice = slots.choice[k];
        if (r->units[k].answered > 0 &&
            (r->units[k].answers = calloc(r->units[k].answered, sizeof *r->units[k].answers)) == NULL)
            st = sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
    }
    for (size_t i = 0; st == SIPAS_OK && i < data->n; i++) {
        if (slot[i] == SIZE_MAX || q->level[i] < 0)
            continue;
        sipas_open_answer_unit *u = &r->units[slot[i]];
        const char *text = q->levels[q->level[i]];
        size_t start, len;
        sipas_text_trim(text, strlen(text), &start, &len);
        if (len == 0 || says_no_comment(text + start, len))
            continue;
        sipas_open_answer *a = &u->answers[u->nanswers];
        if ((a->text = sipas_open_answer_mask(text + start, len, lang, &a->masked)) == NULL) {
            st = sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
            break;
        }
        u->nanswers++;
        r->masked_answers += a->masked != 0;
    }
    free(slot);
    slots_release(&slots);
    if (st != SIPAS_OK) {
        sipas_open_answers_free(r);
        return st;
    }
    /* units without a respondent in the wave say nothing: dropped, order kept */
    size_t kept = 0;
    for (size_t k = 0; k < r->nunits; k++) {
        sipas_open_answer_unit *u = &r->units[k];
        r->respondents += u->respondents;
        r->answered += u->answered;
        r->no_comment += u->no_comment;
        r->empty += u->empty;
        if (u->respondents == 0)
            continue;
        if (u->nanswers > 1) /* a unit without answers has no array: qsort wants one */
            qsort(u->answers, u->nanswers, sizeof *u->answers, compare_answer);
        r->units[kept++] = *u;
    }
    r->nunits = kept;
    *out = r;
    return SIPAS_OK;
}

const char *sipas_open_answer_unit_label(const sipas_open_answers *answers,
                                         const sipas_open_answer_unit *unit,
                                         sipas_report_lang lang)
{
    bool vi = lang == SIPAS_REPORT_VI;
    if (answers->unit_item == NULL)
        return vi ? "Toàn tỉnh" : "Province";
    if (unit->code == NULL)
        return vi ? "(không rõ)" : "(unknown)";
    const char *label = unit->choice ? (vi ? unit->choice->label_vi : unit->choice->label_en)
                                     : NULL;
    return label && *label ? label : unit->code;
}
