/* sipas_gen_sample - writes a realistic survey batch for an instrument, from a fixed seed.
 *
 * The sample follows the design the analysis expects: strata are the choices of the instrument's
 * stratum column (the districts), primary sampling units (communes, facilities, schools) are drawn
 * without replacement inside each stratum out of a population count that goes to the fpc column,
 * respondents are taken inside each unit, and the weight is the inverse inclusion probability
 * with a mild nonresponse adjustment. Answers come from a latent model:
 *
 *   z = mu(wave) + district + unit + sum of domain effects + respondent + element + criterion + e
 *
 * with e ~ N(0, 1); an answer is "satisfied" when z > 0. mu(wave) is calibrated from the target
 * index of the year and the variance of the other terms, so the overall index runs from about 85%
 * in 2019 to about 90% in 2024. The unit effect is shared by everyone in a unit, which gives
 * design effects above 1; the respondent effect ties one person's answers together.
 *
 * Reproducibility: every random number comes from xoshiro256** seeded through splitmix64, normal
 * deviates are sums of twelve uniforms, and the model uses only + - * / and sqrt (all correctly
 * rounded in IEEE 754), so the same options give byte-identical output on every machine.
 * Memory does not grow with --rows: rows are written as they are drawn. */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sipas/error.h"
#include "sipas/instrument.h"

#define PROGRAM "sipas_gen_sample"

enum { EXIT_USAGE = 2 };

/* ------------------------------------------------------------------ random numbers */

typedef struct rng {
    uint64_t s[4];
} rng;

static uint64_t splitmix64(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

static void rng_seed(rng *r, uint64_t seed)
{
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix64(&seed);
}

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

/* xoshiro256** (Blackman and Vigna, 2018). */
static uint64_t rng_next(rng *r)
{
    uint64_t result = rotl(r->s[1] * 5, 7) * 9;
    uint64_t t = r->s[1] << 17;
    r->s[2] ^= r->s[0];
    r->s[3] ^= r->s[1];
    r->s[1] ^= r->s[2];
    r->s[0] ^= r->s[3];
    r->s[2] ^= t;
    r->s[3] = rotl(r->s[3], 45);
    return result;
}

/* Uniform on [0, 1) with 53 random bits: exact, no rounding. */
static double rng_uniform(rng *r)
{
    return (double)(rng_next(r) >> 11) * 0x1.0p-53;
}

/* Approximately N(0, 1): a sum of four uniforms scaled to variance 1 (Irwin-Hall). Free of log
 * and cos, whose last bit may differ between C libraries; the tails stop at +-3.46, which a
 * satisfaction model does not miss. */
static double rng_normal(rng *r)
{
    double sum = rng_uniform(r) + rng_uniform(r) + rng_uniform(r) + rng_uniform(r);
    return (sum - 2.0) * 1.7320508075688772; /* sqrt(12 / 4) */
}

static uint64_t rng_below(rng *r, uint64_t bound)
{
    return (uint64_t)(rng_uniform(r) * (double)bound);
}

/* FNV-1a of a string mixed with a key, for effects that must stay the same for the same name
 * whatever order the instrument lists things in. */
static uint64_t hash_name(uint64_t key, const char *name)
{
    uint64_t h = 0xcbf29ce484222325u ^ key;
    for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
        h ^= *p;
        h *= 0x100000001b3u;
    }
    return splitmix64(&h);
}

/* A value in [-half_width, half_width) fixed by the hash. */
static double hash_spread(uint64_t hash, double half_width)
{
    return ((double)(hash >> 11) * 0x1.0p-53 * 2.0 - 1.0) * half_width;
}

/* Inverse standard normal CDF by Acklam's rational approximation, central region only (relative
 * error below 1.2e-9 there); callers keep p inside [0.03, 0.97], so no log is needed. */
static double normal_quantile_central(double p)
{
    static const double a[6] = {-3.969683028665376e+01, 2.209460984245205e+02,
                                -2.759285104469687e+02, 1.383577518672690e+02,
                                -3.066479806614716e+01, 2.506628277459239e+00};
    static const double b[5] = {-5.447609879822406e+01, 1.615858368580409e+02,
                                -1.556989798598866e+02, 6.680131188771972e+01,
                                -1.328068155288572e+01};
    double q = p - 0.5;
    double r = q * q;
    return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
           (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1.0);
}

/* ------------------------------------------------------------------ the simulated province */

/* Communes per district-level unit of Lạng Sơn: plausible counts after the 2019-2020 merger that
 * sum to the province's 200 communes (the seed document gives the total, not the split). */
static const struct {
    const char *code;
    int communes;
    double effect; /* latent; 0 means "small, drawn from the name" */
} district_profiles[] = {
    {"tp_lang_son", 8, 0.30},  {"trang_dinh", 22, 0.0}, {"van_lang", 17, 0.0},
    {"van_quan", 17, 0.0},     {"binh_gia", 19, -0.35}, {"bac_son", 17, 0.0},
    {"huu_lung", 24, 0.0},     {"chi_lang", 20, 0.0},   {"cao_loc", 22, 0.0},
    {"loc_binh", 21, 0.0},     {"dinh_lap", 13, -0.55},
};
enum { DEFAULT_COMMUNES = 18 };

/* Who answers and how it shifts satisfaction. form NULL applies to every form; a row for a
 * specific form wins. growth is the relative change of the share per year after 2019 (online
 * filing spreads). Choices of a profiled column that have no row get a small share. */
static const struct {
    const char *form, *column, *code;
    double share, effect, growth;
} choice_profiles[] = {
    {NULL, "respondent_type", "citizen", 0.82, 0.00, 0},
    {NULL, "respondent_type", "organisation", 0.07, 0.05, 0},
    {NULL, "respondent_type", "business", 0.11, -0.15, 0},
    {NULL, "sector", "land", 0.30, -0.40, 0},
    {NULL, "sector", "justice", 0.25, 0.20, 0},
    {NULL, "sector", "construction", 0.08, -0.20, 0},
    {NULL, "sector", "business_registration", 0.07, 0.10, 0},
    {NULL, "sector", "labour_social", 0.12, 0.10, 0},
    {NULL, "sector", "transport", 0.08, 0.00, 0},
    {NULL, "sector", "agriculture", 0.05, 0.05, 0},
    {NULL, "sector", "other", 0.05, 0.00, 0},
    {"sipas2017_business", "sector", "business_registration", 0.30, 0.15, 0},
    {"sipas2017_business", "sector", "investment", 0.12, -0.10, 0},
    {"sipas2017_business", "sector", "land", 0.15, -0.40, 0},
    {"sipas2017_business", "sector", "construction", 0.12, -0.20, 0},
    {"sipas2017_business", "sector", "environment", 0.08, -0.05, 0},
    {"sipas2017_business", "sector", "labour", 0.07, 0.05, 0},
    {"sipas2017_business", "sector", "import_export", 0.12, 0.00, 0},
    {"sipas2017_business", "sector", "other", 0.04, 0.00, 0},
    {NULL, "agency_level", "province", 0.22, 0.05, 0},
    {NULL, "agency_level", "district", 0.38, -0.10, 0},
    {NULL, "agency_level", "commune", 0.40, 0.05, 0},
    {NULL, "channel", "in_person", 0.82, 0.00, 0},
    {NULL, "channel", "online", 0.12, 0.15, 0.25},
    {NULL, "channel", "postal", 0.06, 0.05, 0},
    {NULL, "sex", "male", 0.52, 0.00, 0},
    {NULL, "sex", "female", 0.48, 0.00, 0},
    {NULL, "age_group", "18_29", 0.20, -0.10, 0},
    {NULL, "age_group", "30_44", 0.36, -0.05, 0},
    {NULL, "age_group", "45_59", 0.30, 0.05, 0},
    {NULL, "age_group", "60_plus", 0.14, 0.15, 0},
    {NULL, "business_size", "micro", 0.55, 0.00, 0},
    {NULL, "business_size", "small", 0.30, -0.05, 0},
    {NULL, "business_size", "medium", 0.10, -0.10, 0},
    {NULL, "business_size", "large", 0.05, 0.05, 0},
    {NULL, "business_sector", "trade_services", 0.45, 0.05, 0},
    {NULL, "business_sector", "construction", 0.18, -0.15, 0},
    {NULL, "business_sector", "transport_logistics", 0.14, -0.05, 0},
    {NULL, "business_sector", "industry", 0.10, 0.00, 0},
    {NULL, "business_sector", "agriculture", 0.08, 0.05, 0},
    {NULL, "business_sector", "tourism", 0.05, 0.05, 0},
    {NULL, "patient_type", "inpatient", 0.40, 0.15, 0},
    {NULL, "patient_type", "outpatient", 0.60, -0.10, 0},
    {NULL, "facility_level", "province_hospital", 0.25, 0.05, 0},
    {NULL, "facility_level", "district_centre", 0.45, 0.00, 0},
    {NULL, "facility_level", "commune_station", 0.30, -0.05, 0},
    {NULL, "insurance", "insured", 0.93, 0.05, 0},
    {NULL, "insurance", "uninsured", 0.07, -0.20, 0},
    {NULL, "school_level", "preschool", 0.25, 0.15, 0},
    {NULL, "school_level", "primary", 0.35, 0.10, 0},
    {NULL, "school_level", "lower_secondary", 0.25, -0.05, 0},
    {NULL, "school_level", "upper_secondary", 0.15, -0.15, 0},
    {NULL, "school_ownership", "public", 0.92, 0.00, 0},
    {NULL, "school_ownership", "non_public", 0.08, 0.10, 0},
    {NULL, "boarding", "day", 0.90, 0.00, 0},
    {NULL, "boarding", "ethnic_boarding", 0.10, 0.10, 0},
};
enum { UNPROFILED_SHARE_PERCENT = 3 };

/* Target overall index per year for SIPAS; other years continue the line by a point a year. */
static const double index_by_year[] = {0.850, 0.858, 0.870, 0.876, 0.889, 0.900}; /* 2019.. */
enum { INDEX_FIRST_YEAR = 2019 };

/* Forms whose service is rated higher or lower than administrative procedures (the seed gives
 * 90.6% for education and 91.4-93.2% for health in 2021). */
static const struct {
    const char *form;
    double index_shift;
} form_levels[] = {
    {"health2021", 0.045},
    {"education2021", 0.035},
    {"sipas2017_business", -0.015},
};

/* Element effects by position: the fifth SIPAS element (feedback) is the weakest in published
 * results; results and access score above procedures. */
static const double element_effects[] = {0.20, -0.10, 0.10, 0.15, -0.35};

static const double SD_UNIT = 0.30;       /* unit (commune) effect: intraclass correlation */
static const double SD_RESPONDENT = 0.70; /* halo: one person's answers move together */
static const double UNIT_TARGET_ROWS = 45.0;
static const double EMPTY_CRITERION_RATE = 0.002;
static const double EMPTY_OPTIONAL_RATE = 0.005;
static const double PERSONAL_FILL_RATE = 0.30;
static const double LABEL_LOWERCASE_RATE = 0.04;
static const double LABEL_SPACE_RATE = 0.03;

/* ------------------------------------------------------------------ drawing choices */

typedef struct weighted_choice {
    const sipas_choice *choice;
    double base_share; /* before the yearly trend */
    double growth;     /* relative change of the share per year */
    double effect;     /* latent effect, centred on the wave's shares */
    double raw_effect;
    double cumulative; /* cumulative share in the current wave */
} weighted_choice;

typedef struct choice_draw {
    size_t count;
    weighted_choice *options;
    double effect_variance; /* share-weighted variance of the effects in the current wave */
} choice_draw;

typedef enum {
    PICK_VALID,       /* every non-missing choice */
    PICK_SATISFIED,   /* non-missing, satisfied = 1 */
    PICK_UNSATISFIED, /* non-missing, satisfied = 0 */
    PICK_MISSING      /* missing codes */
} pick_filter;

static bool pick_accepts(pick_filter filter, const sipas_choice *c)
{
    switch (filter) {
    case PICK_VALID:
        return c->missing == SIPAS_MISSING_NONE;
    case PICK_SATISFIED:
        return c->missing == SIPAS_MISSING_NONE && c->satisfied;
    case PICK_UNSATISFIED:
        return c->missing == SIPAS_MISSING_NONE && !c->satisfied;
    case PICK_MISSING:
        return c->missing != SIPAS_MISSING_NONE;
    }
    return false;
}

static int choice_draw_init(choice_draw *draw, const sipas_choice_list *list, pick_filter filter)
{
    draw->count = 0;
    draw->effect_variance = 0.0;
    draw->options = calloc(list->nchoices ? list->nchoices : 1, sizeof *draw->options);
    if (!draw->options)
        return -1;
    for (size_t i = 0; i < list->nchoices; i++)
        if (pick_accepts(filter, &list->choices[i]))
            draw->options[draw->count++].choice = &list->choices[i];
    return 0;
}

static void choice_draw_release(choice_draw *draw)
{
    free(draw->options);
    draw->options = NULL;
    draw->count = 0;
}

/* Shares for a wave: apply the trend, normalise, accumulate and centre the effects so that the
 * domain mix does not move the overall level away from its calibrated target. */
static void choice_draw_prepare(choice_draw *draw, int years_since_2019)
{
    double total = 0.0;
    for (size_t i = 0; i < draw->count; i++) {
        double factor = 1.0 + draw->options[i].growth * years_since_2019;
        double share = draw->options[i].base_share * (factor > 0.1 ? factor : 0.1);
        draw->options[i].cumulative = share;
        total += share;
    }
    double running = 0.0, mean_effect = 0.0;
    for (size_t i = 0; i < draw->count; i++) {
        double share = draw->options[i].cumulative / total;
        mean_effect += share * draw->options[i].raw_effect;
        running += share;
        draw->options[i].cumulative = running;
    }
    if (draw->count)
        draw->options[draw->count - 1].cumulative = 1.0;
    double variance = 0.0, previous = 0.0;
    for (size_t i = 0; i < draw->count; i++) {
        double share = draw->options[i].cumulative - previous;
        previous = draw->options[i].cumulative;
        draw->options[i].effect = draw->options[i].raw_effect - mean_effect;
        variance += share * draw->options[i].effect * draw->options[i].effect;
    }
    draw->effect_variance = variance;
}

static size_t choice_draw_pick(const choice_draw *draw, rng *r)
{
    double u = rng_uniform(r);
    for (size_t i = 0; i + 1 < draw->count; i++)
        if (u < draw->options[i].cumulative)
            return i;
    return draw->count - 1;
}

/* Answer categories inside a group: geometric weights by distance from the boundary between
 * satisfied and not (4 is more common than 5, 3 than 2 than 1). */
static void choice_draw_rank_shares(choice_draw *draw, bool from_lowest, double ratio)
{
    for (size_t i = 0; i < draw->count; i++) {
        size_t rank = 0;
        for (size_t j = 0; j < draw->count; j++) {
            long vi = draw->options[i].choice->value, vj = draw->options[j].choice->value;
            if (from_lowest ? vj < vi : vj > vi)
                rank++;
        }
        double share = 1.0;
        for (size_t k = 0; k < rank; k++)
            share *= ratio;
        draw->options[i].base_share = share;
    }
    choice_draw_prepare(draw, 0);
}

static void choice_draw_missing_shares(choice_draw *draw)
{
    for (size_t i = 0; i < draw->count; i++) {
        switch (draw->options[i].choice->missing) {
        case SIPAS_MISSING_DONT_KNOW:
            draw->options[i].base_share = 0.50;
            break;
        case SIPAS_MISSING_NOT_APPLICABLE:
            draw->options[i].base_share = 0.35;
            break;
        default:
            draw->options[i].base_share = 0.15;
            break;
        }
    }
    choice_draw_prepare(draw, 0);
}

/* ------------------------------------------------------------------ the plan of the output */

typedef enum {
    COLUMN_ID,
    COLUMN_WAVE,
    COLUMN_STRATUM,
    COLUMN_CLUSTER,
    COLUMN_WEIGHT,
    COLUMN_FPC,
    COLUMN_CATEGORY,
    COLUMN_CRITERION,
    COLUMN_PERSON_NAME,
    COLUMN_PHONE,
    COLUMN_DIGITS,
    COLUMN_COMMENT, /* an open-ended question: a comment, "no comment" or nothing */
    COLUMN_EMPTY
} column_kind;

typedef struct criterion_model {
    double shift;        /* element + criterion effect, centred over the scored criteria */
    double missing_rate; /* 2-5% of answers are 97/98/99 */
    choice_draw satisfied, unsatisfied, missing;
} criterion_model;

typedef struct column_plan {
    const sipas_item *item;
    column_kind kind;
    choice_draw category;         /* COLUMN_CATEGORY */
    criterion_model criterion;    /* COLUMN_CRITERION */
    double empty_rate;
    bool is_sex;
} column_plan;

typedef struct stratum_plan {
    const sipas_choice *choice;
    long units_total; /* N_h: the fpc */
    double effect;
    double share;     /* of the rows: proportional to N_h */
} stratum_plan;

typedef enum { LABELS_CODES, LABELS_VI, LABELS_EN } label_mode;

typedef struct options {
    const char *form;
    const char *surveys_dir;
    const char *out_path;
    const char *id_prefix; /* keeps ids unique when several batches share a form and wave */
    int first_wave, last_wave;
    unsigned long rows;
    uint64_t seed;
    char sep;
    label_mode labels;
    const char *label_columns; /* comma-separated item names written as labels; NULL: all */
    long units_per_commune;
} options;

typedef struct generator {
    const options *opt;
    const sipas_instrument *instrument;
    size_t ncolumns;
    column_plan *columns;
    size_t nstrata;
    stratum_plan *strata;
    unsigned long *stratum_rows;
    size_t *category_pick; /* per column, the drawn option of the current row; SIZE_MAX empty */
    double fixed_variance;  /* latent variance besides the domain mix, for calibration */
    double index_shift;
    rng r;
    struct row_buffer *row; /* reused for every row */
} generator;

/* ------------------------------------------------------------------ writing rows */

typedef struct row_buffer {
    char data[1 << 16];
    size_t len;
    bool overflow;
} row_buffer;

static void row_append(row_buffer *b, const char *s, size_t len)
{
    if (b->len + len + 1 > sizeof b->data) {
        b->overflow = true;
        return;
    }
    memcpy(b->data + b->len, s, len);
    b->len += len;
}

static void row_field(row_buffer *b, const char *s, char sep, bool first)
{
    if (!first)
        row_append(b, &sep, 1);
    size_t len = strlen(s);
    bool quote = false;
    for (size_t i = 0; i < len; i++)
        if (s[i] == sep || s[i] == '"' || s[i] == '\n' || s[i] == '\r')
            quote = true;
    if (!quote) {
        row_append(b, s, len);
        return;
    }
    row_append(b, "\"", 1);
    for (size_t i = 0; i < len; i++) {
        row_append(b, &s[i], 1);
        if (s[i] == '"')
            row_append(b, "\"", 1);
    }
    row_append(b, "\"", 1);
}

/* How an answer is written: its code, or a label in the chosen language, now and then with the
 * kind of damage a spreadsheet does (a lower-case first letter, stray spaces) that label matching
 * must forgive. */
static bool written_as_label(const generator *g, const sipas_item *item)
{
    if (g->opt->labels == LABELS_CODES)
        return false;
    if (g->opt->label_columns == NULL)
        return true;
    size_t len = strlen(item->name);
    for (const char *p = g->opt->label_columns; *p;) {
        const char *comma = strchr(p, ',');
        size_t n = comma ? (size_t)(comma - p) : strlen(p);
        if (n == len && strncmp(p, item->name, n) == 0)
            return true;
        p += n + (comma != NULL);
    }
    return false;
}

static void format_choice(generator *g, const sipas_item *item, const sipas_choice *c, char *out,
                          size_t size)
{
    const char *text = c->name;
    bool label = written_as_label(g, item);
    if (label && g->opt->labels == LABELS_VI && c->label_vi && *c->label_vi)
        text = c->label_vi;
    else if (label && g->opt->labels == LABELS_EN && c->label_en && *c->label_en)
        text = c->label_en;
    size_t len = strlen(text);
    if (len >= size)
        len = size - 1;
    memcpy(out, text, len);
    out[len] = '\0';
    if (!label)
        return;
    double u = rng_uniform(&g->r);
    if (u < LABEL_LOWERCASE_RATE) {
        if (out[0] >= 'A' && out[0] <= 'Z')
            out[0] = (char)(out[0] - 'A' + 'a');
    } else if (u < LABEL_LOWERCASE_RATE + LABEL_SPACE_RATE) {
        if (len + 3 <= size) {
            memmove(out + 1, out, len + 1);
            out[0] = ' ';
            out[len + 1] = ' ';
            out[len + 2] = '\0';
        }
    }
}

static const char *const family_names[] = {"Nguyễn", "Hoàng", "Lương", "Vi",   "Nông",
                                           "Hà",     "Lộc",   "Triệu", "Lăng", "Đinh",
                                           "Lý",     "Chu",   "Dương", "Mông", "Trần"};
static const char *const male_middle[] = {"Văn", "Đức", "Quang", "Minh"};
static const char *const female_middle[] = {"Thị", "Thu", "Ngọc", "Thị"};
static const char *const male_given[] = {"Hùng", "Dũng", "Cường", "Thắng", "Tuấn",
                                         "Sơn",  "Hải",  "Long",  "Quân",  "Bình"};
static const char *const female_given[] = {"Lan",  "Hoa",   "Hương", "Mai", "Thảo",
                                           "Nhung", "Huyền", "Linh",  "Yến", "Hằng"};
static const char *const phone_prefixes[] = {"091", "094", "097", "098", "086", "034", "035",
                                             "036", "037", "038", "039", "081", "083", "084",
                                             "085", "088", "070", "076", "077", "078", "079"};
#define COUNT_OF(a) (sizeof(a) / sizeof((a)[0]))

static void fake_name(rng *r, bool female, char *out, size_t size)
{
    const char *family = family_names[rng_below(r, COUNT_OF(family_names))];
    const char *middle = female ? female_middle[rng_below(r, COUNT_OF(female_middle))]
                                : male_middle[rng_below(r, COUNT_OF(male_middle))];
    const char *given = female ? female_given[rng_below(r, COUNT_OF(female_given))]
                               : male_given[rng_below(r, COUNT_OF(male_given))];
    snprintf(out, size, "%s %s %s", family, middle, given);
}

static void fake_digits(rng *r, const char *prefix, int ndigits, char *out, size_t size)
{
    size_t len = (size_t)snprintf(out, size, "%s", prefix);
    for (int i = 0; i < ndigits && len + 1 < size; i++)
        out[len++] = (char)('0' + rng_below(r, 10));
    out[len < size ? len : size - 1] = '\0';
}

/* ------------------------------------------------------------------ setting up the model */

/* Open-ended comments ("góp ý"), as respondents write them: most leave the question empty, some
 * write that they have nothing to say, the others a suggestion; some of those carry what the
 * analysis must mask before listing them (a phone number in its many spellings, an e-mail
 * address, an ID or tax number) or what it cannot catch (a name), and numbers it must leave
 * alone (amounts, dates). %P phone, %E e-mail, %I ID number, %T tax code, %N a name. */
static const char *const comment_templates[] = {
    "Đề nghị công khai số điện thoại đường dây nóng; tôi gọi %P nhiều lần không ai nghe máy.",
    "Cán bộ hẹn trả kết quả nhưng không gọi lại, đề nghị liên hệ doanh nghiệp qua số %P.",
    "Mọi thông tin xin gửi về email %E, doanh nghiệp ở xa không tiện đến trực tiếp.",
    "Căn cước của người đại diện %I bị ghi sai trên giấy chứng nhận, đề nghị sửa giúp.",
    "Tôi là %N, giám đốc công ty, đề nghị bộ phận một cửa hướng dẫn kỹ hơn ngay từ lần đầu.",
    "Phí thẩm định 2.500.000 đồng là cao so với doanh nghiệp nhỏ.",
    "Hồ sơ nộp ngày 12/03/2024, hẹn 15 ngày làm việc nhưng đến nay vẫn chưa có kết quả.",
    "Cổng dịch vụ công trực tuyến hay bị lỗi khi tải tệp lên, nhất là vào cuối tháng.",
    "Nên bố trí thêm chỗ để xe và ghế ngồi chờ tại Bộ phận một cửa.",
    "Thời gian giải quyết thủ tục đất đai còn dài, đề nghị rút ngắn.",
    "Cán bộ tiếp nhận nhiệt tình, chu đáo. Cảm ơn!",
    "Đề nghị cho nộp lệ phí trực tuyến qua ví điện tử.",
    "Giấy tờ đã có trên hệ thống vẫn phải nộp bản sao chứng thực, rất mất thời gian.",
    "Cần bổ sung hồ sơ thì liên hệ %N, điện thoại %P.",
    "Lệ phí 1.200.000đ nộp ngày 05.06.2023 chưa được xuất biên lai điện tử.",
    "Mã số thuế của công ty %T bị sai trên hệ thống thuế, đề nghị phối hợp sửa.",
    "Đề nghị niêm yết rõ giờ làm việc, sáng từ 7h30 đến 11h30.",
    "Tôi gửi hồ sơ qua bưu điện; xin gọi %P hoặc gửi thư về %E khi có kết quả.",
    "Công chức một số nơi còn gây khó khăn, đề nghị tăng cường kiểm tra.",
    "Hướng dẫn trên cổng dịch vụ công khó hiểu, nên có video hướng dẫn.",
};
static const char *const no_comment_answers[] = {"Không", "không có ý kiến", "Không có góp ý gì.",
                                                 "không"};
static const char *const email_names[] = {"ketoan", "hanhchinh", "info", "lienhe", "giamdoc"};
static const char *const email_domains[] = {"gmail.com", "yahoo.com.vn", "langson.com.vn"};
static const double COMMENT_EMPTY_RATE = 0.72, COMMENT_NONE_RATE = 0.08;

/* A phone number as people write it: with or without groups, dots, dashes, +84. */
static void fake_phone_written(rng *r, char *out, size_t size)
{
    char d[16];
    fake_digits(r, phone_prefixes[rng_below(r, COUNT_OF(phone_prefixes))], 7, d, sizeof d);
    switch (rng_below(r, 6)) {
    case 0: snprintf(out, size, "%s", d); break;
    case 1: snprintf(out, size, "%.4s %.3s %.3s", d, d + 4, d + 7); break;
    case 2: snprintf(out, size, "%.4s.%.3s.%.3s", d, d + 4, d + 7); break;
    case 3: snprintf(out, size, "+84 %.3s %.3s %.3s", d + 1, d + 4, d + 7); break;
    case 4: snprintf(out, size, "(+84) %.3s-%.3s-%.3s", d + 1, d + 4, d + 7); break;
    default: snprintf(out, size, "0205 3%.3s %.3s", d + 4, d + 7); break; /* Lạng Sơn landline */
    }
}

/* The comment of respondent `serial` of wave `year`, drawn from a stream of its own so that
 * adding an open-ended question to an instrument changes no other cell of its sample. */
static void fake_comment(const generator *g, int year, unsigned long serial, char *out,
                         size_t size)
{
    rng r;
    rng_seed(&r, hash_name(g->opt->seed ^ 0x676f7079u, g->opt->id_prefix) +
                     ((uint64_t)year << 32) + serial);
    out[0] = '\0';
    double u = rng_uniform(&r);
    if (u < COMMENT_EMPTY_RATE)
        return;
    if (u < COMMENT_EMPTY_RATE + COMMENT_NONE_RATE) {
        snprintf(out, size, "%s", no_comment_answers[rng_below(&r, COUNT_OF(no_comment_answers))]);
        return;
    }
    const char *t = comment_templates[rng_below(&r, COUNT_OF(comment_templates))];
    size_t len = 0;
    for (; *t && len + 64 < size; t++) {
        char part[64];
        if (t[0] != '%' || t[1] == '\0') {
            out[len++] = *t;
            continue;
        }
        switch (*++t) {
        case 'P': fake_phone_written(&r, part, sizeof part); break;
        case 'E':
            snprintf(part, sizeof part, "%s%u@%s", email_names[rng_below(&r, COUNT_OF(email_names))],
                     (unsigned)rng_below(&r, 100),
                     email_domains[rng_below(&r, COUNT_OF(email_domains))]);
            break;
        case 'I': /* a CCCD of Lạng Sơn (province code 020), or an old 9-digit CMND */
            if (rng_below(&r, 2))
                fake_digits(&r, "020", 9, part, sizeof part);
            else
                fake_digits(&r, "08", 7, part, sizeof part);
            break;
        case 'T': fake_digits(&r, "49", 8, part, sizeof part); break;
        default: fake_name(&r, rng_below(&r, 2) == 0, part, sizeof part); break;
        }
        size_t n = strlen(part);
        memcpy(out + len, part, n);
        len += n;
    }
    out[len] = '\0';
}

static double district_effect(uint64_t seed, const char *code, long *communes)
{
    for (size_t i = 0; i < COUNT_OF(district_profiles); i++) {
        if (strcmp(district_profiles[i].code, code) != 0)
            continue;
        *communes = district_profiles[i].communes;
        if (district_profiles[i].effect != 0.0)
            return district_profiles[i].effect;
        return hash_spread(hash_name(seed, code), 0.15);
    }
    *communes = DEFAULT_COMMUNES;
    return hash_spread(hash_name(seed, code), 0.15);
}

static int find_profile(const char *form, const char *column, const char *code)
{
    int found = -1;
    for (size_t i = 0; i < COUNT_OF(choice_profiles); i++) {
        if (strcmp(choice_profiles[i].column, column) != 0 ||
            strcmp(choice_profiles[i].code, code) != 0)
            continue;
        if (choice_profiles[i].form && strcmp(choice_profiles[i].form, form) == 0)
            return (int)i;
        if (!choice_profiles[i].form)
            found = (int)i;
    }
    return found;
}

/* Shares and effects of a categorical column: from the profiles when the column is known,
 * otherwise declining shares and small effects drawn from the names. */
static void plan_category(generator *g, column_plan *col)
{
    bool profiled = false;
    for (size_t i = 0; i < col->category.count; i++)
        if (find_profile(g->instrument->form_id, col->item->name,
                         col->category.options[i].choice->name) >= 0)
            profiled = true;
    double geometric = 1.0;
    for (size_t i = 0; i < col->category.count; i++) {
        weighted_choice *w = &col->category.options[i];
        int p = find_profile(g->instrument->form_id, col->item->name, w->choice->name);
        if (p >= 0) {
            w->base_share = choice_profiles[p].share;
            w->raw_effect = choice_profiles[p].effect;
            w->growth = choice_profiles[p].growth;
        } else {
            w->base_share = profiled ? UNPROFILED_SHARE_PERCENT / 100.0 : geometric;
            uint64_t key = hash_name(g->opt->seed, col->item->name);
            w->raw_effect = hash_spread(hash_name(key, w->choice->name), 0.15);
            w->growth = 0.0;
        }
        geometric *= 0.7;
    }
    col->is_sex = strcmp(col->item->name, "sex") == 0;
    col->empty_rate = col->item->required ? 0.0 : EMPTY_OPTIONAL_RATE;
}

static int plan_criterion(generator *g, column_plan *col, sipas_error *err)
{
    const sipas_item *item = col->item;
    criterion_model *m = &col->criterion;
    if (!item->list)
        return sipas_error_set(err, SIPAS_ERR_FORMAT, "criterion '%s' has no choice list",
                               item->name);
    if (choice_draw_init(&m->satisfied, item->list, PICK_SATISFIED) != 0 ||
        choice_draw_init(&m->unsatisfied, item->list, PICK_UNSATISFIED) != 0 ||
        choice_draw_init(&m->missing, item->list, PICK_MISSING) != 0)
        return sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
    if (m->satisfied.count == 0 || m->unsatisfied.count == 0)
        return sipas_error_set(err, SIPAS_ERR_FORMAT,
                               "criterion '%s': list '%s' needs both satisfied and unsatisfied "
                               "choices for the answer model",
                               item->name, item->list->name);
    /* Longer scales (0-10) spread the unsatisfied answers over more points. */
    double spread = m->unsatisfied.count > 3 ? 0.6 : 0.4;
    choice_draw_rank_shares(&m->unsatisfied, false, spread);
    choice_draw_rank_shares(&m->satisfied, true, 0.65);
    if (m->missing.count)
        choice_draw_missing_shares(&m->missing);
    uint64_t key = hash_name(g->opt->seed, item->name);
    m->missing_rate = m->missing.count ? 0.035 + hash_spread(hash_name(key, "missing"), 0.015)
                                       : 0.0;
    double element = 0.0;
    if (item->element >= 0 && (size_t)item->element < COUNT_OF(element_effects))
        element = element_effects[item->element];
    m->shift = element + hash_spread(hash_name(key, "criterion"), 0.20);
    /* Recommending (9-10 of 10) is a higher bar than being satisfied: public services get a
     * net promoter score near +30, not near +90. */
    if (item->scoring == SIPAS_SCORING_NPS)
        m->shift -= 1.3;
    col->empty_rate = EMPTY_CRITERION_RATE;
    return 0;
}

static bool element_scored(const sipas_instrument *ins, int element)
{
    return element >= 0 && (size_t)element < ins->nelements && ins->elements[element].weight > 0;
}

/* Centre the criterion shifts over the criteria that enter the overall index and return their
 * variance, so that mu(wave) hits the target index. */
static double centre_criteria(generator *g)
{
    double sum = 0.0, sum_sq = 0.0;
    size_t n = 0;
    for (size_t i = 0; i < g->ncolumns; i++) {
        const column_plan *col = &g->columns[i];
        if (col->kind == COLUMN_CRITERION &&
            element_scored(g->instrument, col->item->element)) {
            sum += col->criterion.shift;
            n++;
        }
    }
    if (n == 0)
        return 0.0;
    double mean = sum / (double)n;
    for (size_t i = 0; i < g->ncolumns; i++) {
        column_plan *col = &g->columns[i];
        if (col->kind != COLUMN_CRITERION)
            continue;
        col->criterion.shift -= mean;
        if (element_scored(g->instrument, col->item->element))
            sum_sq += col->criterion.shift * col->criterion.shift;
    }
    return sum_sq / (double)n;
}

static int plan_strata(generator *g, const sipas_item *stratum, sipas_error *err)
{
    if (stratum->type != SIPAS_TYPE_SELECT_ONE || !stratum->list)
        return sipas_error_set(err, SIPAS_ERR_FORMAT,
                               "stratum column '%s' must be a select_one: the generator draws "
                               "strata from its choices",
                               stratum->name);
    const sipas_choice_list *list = stratum->list;
    g->strata = calloc(list->nchoices ? list->nchoices : 1, sizeof *g->strata);
    g->stratum_rows = calloc(list->nchoices ? list->nchoices : 1, sizeof *g->stratum_rows);
    if (!g->strata || !g->stratum_rows)
        return sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
    long units_sum = 0;
    for (size_t i = 0; i < list->nchoices; i++) {
        const sipas_choice *c = &list->choices[i];
        if (c->missing != SIPAS_MISSING_NONE)
            continue;
        stratum_plan *s = &g->strata[g->nstrata++];
        long communes = 0;
        s->choice = c;
        s->effect = district_effect(g->opt->seed, c->name, &communes);
        s->units_total = communes * g->opt->units_per_commune;
        units_sum += s->units_total;
    }
    if (g->nstrata == 0)
        return sipas_error_set(err, SIPAS_ERR_FORMAT, "stratum list '%s' has no choices",
                               list->name);
    double mean = 0.0;
    for (size_t i = 0; i < g->nstrata; i++) {
        g->strata[i].share = (double)g->strata[i].units_total / (double)units_sum;
        mean += g->strata[i].share * g->strata[i].effect;
    }
    double variance = 0.0;
    for (size_t i = 0; i < g->nstrata; i++) {
        g->strata[i].effect -= mean;
        variance += g->strata[i].share * g->strata[i].effect * g->strata[i].effect;
    }
    g->fixed_variance += variance;
    return 0;
}

static int generator_init(generator *g, const options *opt, const sipas_instrument *ins,
                          sipas_error *err)
{
    memset(g, 0, sizeof *g);
    g->opt = opt;
    g->instrument = ins;
    rng_seed(&g->r, opt->seed);
    g->ncolumns = ins->nitems;
    g->columns = calloc(ins->nitems ? ins->nitems : 1, sizeof *g->columns);
    g->category_pick = calloc(ins->nitems ? ins->nitems : 1, sizeof *g->category_pick);
    g->row = malloc(sizeof *g->row);
    if (!g->columns || !g->category_pick || !g->row)
        return sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");

    const sipas_item *stratum = NULL;
    bool have_id = false, have_wave = false;
    for (size_t i = 0; i < ins->nitems; i++) {
        const sipas_item *item = &ins->items[i];
        column_plan *col = &g->columns[i];
        col->item = item;
        switch (item->role) {
        case SIPAS_ROLE_ID:
            col->kind = COLUMN_ID;
            have_id = true;
            continue;
        case SIPAS_ROLE_WAVE:
            col->kind = COLUMN_WAVE;
            have_wave = true;
            continue;
        case SIPAS_ROLE_STRATUM:
            if (stratum)
                return sipas_error_set(err, SIPAS_ERR_FORMAT,
                                       "form '%s' has two stratum columns ('%s', '%s')",
                                       ins->form_id, stratum->name, item->name);
            col->kind = COLUMN_STRATUM;
            stratum = item;
            continue;
        case SIPAS_ROLE_CLUSTER:
            col->kind = COLUMN_CLUSTER;
            continue;
        case SIPAS_ROLE_WEIGHT:
            col->kind = COLUMN_WEIGHT;
            continue;
        case SIPAS_ROLE_FPC:
            col->kind = COLUMN_FPC;
            continue;
        case SIPAS_ROLE_CRITERION: {
            col->kind = COLUMN_CRITERION;
            int rc = plan_criterion(g, col, err);
            if (rc != 0)
                return rc;
            continue;
        }
        case SIPAS_ROLE_DOMAIN:
        case SIPAS_ROLE_NONE:
            break;
        }
        if (item->type == SIPAS_TYPE_SELECT_ONE && item->list) {
            col->kind = COLUMN_CATEGORY;
            if (choice_draw_init(&col->category, item->list, PICK_VALID) != 0)
                return sipas_error_set(err, SIPAS_ERR_NOMEM, "out of memory");
            if (col->category.count == 0)
                return sipas_error_set(err, SIPAS_ERR_FORMAT, "list '%s' has no choices",
                                       item->list->name);
            plan_category(g, col);
        } else if (item->personal && item->type == SIPAS_TYPE_TEXT) {
            if (strstr(item->name, "phone"))
                col->kind = COLUMN_PHONE;
            else if (strstr(item->name, "name"))
                col->kind = COLUMN_PERSON_NAME;
            else
                col->kind = COLUMN_DIGITS;
            col->empty_rate = 1.0 - PERSONAL_FILL_RATE;
        } else if (item->type == SIPAS_TYPE_TEXT && item->role == SIPAS_ROLE_NONE) {
            col->kind = COLUMN_COMMENT;
        } else if (item->required) {
            return sipas_error_set(err, SIPAS_ERR_FORMAT,
                                   "column '%s' is required but the generator has no model for "
                                   "a %s column without a design role",
                                   item->name, item->type == SIPAS_TYPE_TEXT ? "text" : "number");
        } else {
            col->kind = COLUMN_EMPTY;
        }
    }
    if (!have_id || !have_wave || !stratum)
        return sipas_error_set(err, SIPAS_ERR_FORMAT,
                               "form '%s' needs id, wave and stratum columns for sample data",
                               ins->form_id);
    int rc = plan_strata(g, stratum, err);
    if (rc != 0)
        return rc;
    g->fixed_variance += SD_UNIT * SD_UNIT + SD_RESPONDENT * SD_RESPONDENT + 1.0;
    g->fixed_variance += centre_criteria(g);
    for (size_t i = 0; i < COUNT_OF(form_levels); i++)
        if (strcmp(form_levels[i].form, ins->form_id) == 0)
            g->index_shift = form_levels[i].index_shift;
    return 0;
}

static void generator_release(generator *g)
{
    for (size_t i = 0; g->columns && i < g->ncolumns; i++) {
        choice_draw_release(&g->columns[i].category);
        choice_draw_release(&g->columns[i].criterion.satisfied);
        choice_draw_release(&g->columns[i].criterion.unsatisfied);
        choice_draw_release(&g->columns[i].criterion.missing);
    }
    free(g->columns);
    free(g->category_pick);
    free(g->strata);
    free(g->stratum_rows);
    free(g->row);
}

static double target_index(int year)
{
    int last = INDEX_FIRST_YEAR + (int)COUNT_OF(index_by_year) - 1;
    double p;
    if (year < INDEX_FIRST_YEAR)
        p = index_by_year[0] - 0.01 * (INDEX_FIRST_YEAR - year);
    else if (year > last)
        p = index_by_year[COUNT_OF(index_by_year) - 1] + 0.01 * (year - last);
    else
        p = index_by_year[year - INDEX_FIRST_YEAR];
    return p;
}

/* ------------------------------------------------------------------ one wave */

/* Split the wave's rows over strata in proportion to N_h, largest remainders first. */
static void allocate_rows(generator *g)
{
    unsigned long given = 0;
    for (size_t h = 0; h < g->nstrata; h++) {
        g->stratum_rows[h] = (unsigned long)((double)g->opt->rows * g->strata[h].share);
        given += g->stratum_rows[h];
    }
    while (given < g->opt->rows) {
        size_t best = 0;
        double best_gap = -1.0;
        for (size_t h = 0; h < g->nstrata; h++) {
            double gap = (double)g->opt->rows * g->strata[h].share - (double)g->stratum_rows[h];
            if (gap > best_gap) {
                best_gap = gap;
                best = h;
            }
        }
        g->stratum_rows[best]++;
        given++;
    }
}

/* The unit effect persists across waves: the same commune is as good or bad every year. */
static double unit_effect(const generator *g, size_t stratum, long unit)
{
    rng local;
    uint64_t key = hash_name(g->opt->seed ^ 0x756e6974u, g->strata[stratum].choice->name);
    rng_seed(&local, key + (uint64_t)unit);
    return SD_UNIT * rng_normal(&local);
}

typedef struct unit_context {
    int year;
    size_t stratum;
    long unit;
    double effect;
    double base_weight;
    double mu;
} unit_context;

static int write_row(generator *g, FILE *out, const unit_context *u, unsigned long serial,
                     sipas_error *err)
{
    row_buffer *b = g->row;
    b->len = 0;
    b->overflow = false;
    char cell[1024];
    const stratum_plan *s = &g->strata[u->stratum];

    /* Domains first: their effects enter the latent level of every answer. */
    double latent = u->mu + s->effect + u->effect + SD_RESPONDENT * rng_normal(&g->r);
    bool female = rng_uniform(&g->r) < 0.5;
    for (size_t i = 0; i < g->ncolumns; i++) {
        column_plan *col = &g->columns[i];
        if (col->kind != COLUMN_CATEGORY)
            continue;
        size_t pick = choice_draw_pick(&col->category, &g->r);
        latent += col->category.options[pick].effect;
        if (col->is_sex)
            female = strcmp(col->category.options[pick].choice->name, "female") == 0;
        g->category_pick[i] = rng_uniform(&g->r) < col->empty_rate ? SIZE_MAX : pick;
    }

    for (size_t i = 0; i < g->ncolumns; i++) {
        column_plan *col = &g->columns[i];
        cell[0] = '\0';
        switch (col->kind) {
        case COLUMN_ID:
            snprintf(cell, sizeof cell, "%s%d-%06lu", g->opt->id_prefix, u->year, serial);
            break;
        case COLUMN_WAVE:
            snprintf(cell, sizeof cell, "%d", u->year);
            break;
        case COLUMN_STRATUM:
            format_choice(g, col->item, s->choice, cell, sizeof cell);
            break;
        case COLUMN_CLUSTER:
            snprintf(cell, sizeof cell, "%s-%s-%02ld", s->choice->name, col->item->name,
                     u->unit + 1);
            break;
        case COLUMN_WEIGHT: {
            /* Post-survey adjustment: weights vary a little within a unit. */
            double w = u->base_weight * (0.95 + 0.10 * rng_uniform(&g->r));
            snprintf(cell, sizeof cell, "%.2f", w);
            break;
        }
        case COLUMN_FPC:
            snprintf(cell, sizeof cell, "%ld", s->units_total);
            break;
        case COLUMN_CATEGORY:
            if (g->category_pick[i] != SIZE_MAX)
                format_choice(g, col->item, col->category.options[g->category_pick[i]].choice, cell,
                              sizeof cell);
            break;
        case COLUMN_CRITERION: {
            criterion_model *m = &col->criterion;
            double v = rng_uniform(&g->r);
            if (v < m->missing_rate) {
                size_t k = choice_draw_pick(&m->missing, &g->r);
                format_choice(g, col->item, m->missing.options[k].choice, cell, sizeof cell);
            } else if (v < m->missing_rate + col->empty_rate) {
                /* left blank: a skipped question */
            } else {
                bool satisfied = latent + m->shift + rng_normal(&g->r) > 0.0;
                const choice_draw *group = satisfied ? &m->satisfied : &m->unsatisfied;
                size_t k = choice_draw_pick(group, &g->r);
                format_choice(g, col->item, group->options[k].choice, cell, sizeof cell);
            }
            break;
        }
        case COLUMN_PERSON_NAME:
            if (rng_uniform(&g->r) >= col->empty_rate)
                fake_name(&g->r, female, cell, sizeof cell);
            break;
        case COLUMN_PHONE:
            if (rng_uniform(&g->r) >= col->empty_rate)
                fake_digits(&g->r, phone_prefixes[rng_below(&g->r, COUNT_OF(phone_prefixes))],
                            7, cell, sizeof cell);
            break;
        case COLUMN_DIGITS:
            if (rng_uniform(&g->r) >= col->empty_rate)
                fake_digits(&g->r, "", 10, cell, sizeof cell);
            break;
        case COLUMN_COMMENT:
            fake_comment(g, u->year, serial, cell, sizeof cell);
            break;
        case COLUMN_EMPTY:
            break;
        }
        row_field(b, cell, g->opt->sep, i == 0);
    }
    row_append(b, "\n", 1);
    int rc = 0;
    if (b->overflow)
        rc = sipas_error_set(err, SIPAS_ERR_USAGE, "row %lu of wave %d is longer than %zu bytes",
                             serial, u->year, sizeof b->data);
    else if (fwrite(b->data, 1, b->len, out) != b->len)
        rc = sipas_error_set(err, SIPAS_ERR_IO, "cannot write: %s", strerror(errno));
    return rc;
}

static int write_wave(generator *g, FILE *out, int year, sipas_error *err)
{
    int years_since = year - INDEX_FIRST_YEAR;
    double latent_variance = g->fixed_variance;
    for (size_t i = 0; i < g->ncolumns; i++) {
        if (g->columns[i].kind != COLUMN_CATEGORY)
            continue;
        choice_draw_prepare(&g->columns[i].category, years_since);
        latent_variance += g->columns[i].category.effect_variance;
    }
    double p = target_index(year) + g->index_shift;
    p = p < 0.03 ? 0.03 : p > 0.97 ? 0.97 : p;
    unit_context u = {.year = year};
    /* P(z > 0) = Phi(mu / sd) when the terms are roughly normal. */
    u.mu = normal_quantile_central(p) * sqrt(latent_variance);

    allocate_rows(g);
    unsigned long serial = 0;
    for (size_t h = 0; h < g->nstrata; h++) {
        unsigned long rows = g->stratum_rows[h];
        long units_total = g->strata[h].units_total;
        if (rows == 0)
            continue;
        long units = (long)((double)rows / UNIT_TARGET_ROWS + 0.5);
        if (units < 2)
            units = rows >= 2 ? 2 : 1;
        if (units > units_total)
            units = units_total;
        if ((unsigned long)units > rows)
            units = (long)rows;
        /* Knuth's selection sampling: m of N units, each subset equally likely. */
        long chosen = 0;
        for (long k = 0; k < units_total && chosen < units; k++) {
            double need = (double)(units - chosen), left = (double)(units_total - k);
            if (rng_uniform(&g->r) * left >= need)
                continue;
            unsigned long unit_rows = rows / (unsigned long)units +
                                      ((unsigned long)chosen < rows % (unsigned long)units);
            /* Service users of the unit in the year; never fewer than the sample, so that a
             * very large --rows still gives inclusion probabilities below 1. */
            double users = 400.0 + 3600.0 * rng_uniform(&g->r);
            if (users < 1.25 * (double)unit_rows)
                users = 1.25 * (double)unit_rows * (1.0 + rng_uniform(&g->r));
            double response_rate = 0.80 + 0.15 * rng_uniform(&g->r);
            u.stratum = h;
            u.unit = k;
            u.effect = unit_effect(g, h, k);
            u.base_weight = ((double)units_total / (double)units) *
                            (users / (double)unit_rows) / response_rate;
            for (unsigned long i = 0; i < unit_rows; i++) {
                int rc = write_row(g, out, &u, ++serial, err);
                if (rc != 0)
                    return rc;
            }
            chosen++;
        }
    }
    return 0;
}

static int write_header(const generator *g, FILE *out, sipas_error *err)
{
    row_buffer *b = g->row;
    b->len = 0;
    b->overflow = false;
    for (size_t i = 0; i < g->ncolumns; i++)
        row_field(b, g->columns[i].item->name, g->opt->sep, i == 0);
    row_append(b, "\n", 1);
    int rc = 0;
    if (b->overflow)
        rc = sipas_error_set(err, SIPAS_ERR_USAGE, "header is longer than %zu bytes",
                             sizeof b->data);
    else if (fwrite(b->data, 1, b->len, out) != b->len)
        rc = sipas_error_set(err, SIPAS_ERR_IO, "cannot write: %s", strerror(errno));
    return rc;
}

/* ------------------------------------------------------------------ options */

static void usage(FILE *to)
{
    fputs("usage: " PROGRAM " --form ID [options]\n"
          "Writes a realistic CSV survey batch for an instrument, the same for the same options.\n"
          "\n"
          "  --form ID                 instrument folder name under the surveys directory\n"
          "  --surveys DIR             instrument directory (default: $SIPAS_SURVEYS, else ./surveys)\n"
          "  --waves Y1-Y2 | Y         survey years (default 2019-2024)\n"
          "  --rows N                  rows per wave (default 2200)\n"
          "  --seed S                  random seed (default 2640)\n"
          "  --out FILE                output file (default standard output)\n"
          "  --sep , | ;               field delimiter (default ,)\n"
          "  --labels codes|vi|en      write answers as codes or as labels in that language\n"
          "                            (labels now and then get a lower-case first letter or\n"
          "                            stray spaces, as spreadsheets do)\n"
          "  --label-columns A,B       with --labels: write labels only in these columns, codes\n"
          "                            elsewhere (e.g. district names as labels)\n"
          "  --id-prefix P             text before every respondent id, for a second batch of\n"
          "                            the same form and wave (ids are unique per form)\n"
          "  --units-per-commune K     sampling units per commune: 1 for communes, more for\n"
          "                            facilities or schools (default 1); N_h = communes x K\n"
          "  --help                    show this help\n",
          to);
}

static bool parse_long(const char *text, long min, long max, long *out)
{
    char *end = NULL;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || v < min || v > max)
        return false;
    *out = v;
    return true;
}

static bool parse_waves(const char *text, int *first, int *last)
{
    char *end = NULL;
    errno = 0;
    long a = strtol(text, &end, 10), b = a;
    if (errno != 0 || end == text)
        return false;
    if (*end == '-') {
        const char *second = end + 1;
        b = strtol(second, &end, 10);
        if (errno != 0 || end == second)
            return false;
    }
    if (*end != '\0' || a < 1990 || b > 2100 || a > b || b - a >= 100)
        return false;
    *first = (int)a;
    *last = (int)b;
    return true;
}

/* Returns 0 to go on, or the exit code. */
static int parse_options(int argc, char **argv, options *opt)
{
    const char *env = getenv("SIPAS_SURVEYS");
    *opt = (options){.surveys_dir = env && *env ? env : "surveys",
                     .id_prefix = "",
                     .first_wave = 2019,
                     .last_wave = 2024,
                     .rows = 2200,
                     .seed = 2640,
                     .sep = ',',
                     .labels = LABELS_CODES,
                     .units_per_commune = 1};
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            usage(stdout);
            return -1;
        }
        /* Accept both "--opt value" and "--opt=value". */
        char name[32];
        const char *value = NULL;
        const char *eq = strchr(arg, '=');
        if (strncmp(arg, "--", 2) != 0 || (eq && (size_t)(eq - arg) >= sizeof name)) {
            fprintf(stderr, PROGRAM ": unknown argument '%s'\n", arg);
            return EXIT_USAGE;
        }
        if (eq) {
            memcpy(name, arg, (size_t)(eq - arg));
            name[eq - arg] = '\0';
            value = eq + 1;
        } else {
            snprintf(name, sizeof name, "%s", arg);
            if (i + 1 >= argc) {
                fprintf(stderr, PROGRAM ": option '%s' needs a value\n", arg);
                return EXIT_USAGE;
            }
            value = argv[++i];
        }
        long number = 0;
        if (strcmp(name, "--form") == 0) {
            opt->form = value;
        } else if (strcmp(name, "--surveys") == 0) {
            opt->surveys_dir = value;
        } else if (strcmp(name, "--id-prefix") == 0) {
            opt->id_prefix = value;
        } else if (strcmp(name, "--out") == 0) {
            opt->out_path = value;
        } else if (strcmp(name, "--waves") == 0) {
            if (!parse_waves(value, &opt->first_wave, &opt->last_wave)) {
                fprintf(stderr, PROGRAM ": --waves '%s' is not a year or a range like 2019-2024\n",
                        value);
                return EXIT_USAGE;
            }
        } else if (strcmp(name, "--rows") == 0) {
            if (!parse_long(value, 1, 100000000L, &number)) {
                fprintf(stderr, PROGRAM ": --rows '%s' is not a count from 1 to 100000000\n",
                        value);
                return EXIT_USAGE;
            }
            opt->rows = (unsigned long)number;
        } else if (strcmp(name, "--seed") == 0) {
            char *end = NULL;
            errno = 0;
            unsigned long long seed = strtoull(value, &end, 10);
            if (errno != 0 || end == value || *end != '\0' || value[0] == '-') {
                fprintf(stderr, PROGRAM ": --seed '%s' is not a non-negative integer\n", value);
                return EXIT_USAGE;
            }
            opt->seed = (uint64_t)seed;
        } else if (strcmp(name, "--sep") == 0) {
            if (strcmp(value, ",") != 0 && strcmp(value, ";") != 0) {
                fprintf(stderr, PROGRAM ": --sep '%s' must be ',' or ';'\n", value);
                return EXIT_USAGE;
            }
            opt->sep = value[0];
        } else if (strcmp(name, "--labels") == 0) {
            if (strcmp(value, "codes") == 0)
                opt->labels = LABELS_CODES;
            else if (strcmp(value, "vi") == 0)
                opt->labels = LABELS_VI;
            else if (strcmp(value, "en") == 0)
                opt->labels = LABELS_EN;
            else {
                fprintf(stderr, PROGRAM ": --labels '%s' must be codes, vi or en\n", value);
                return EXIT_USAGE;
            }
        } else if (strcmp(name, "--label-columns") == 0) {
            opt->label_columns = value;
        } else if (strcmp(name, "--units-per-commune") == 0) {
            if (!parse_long(value, 1, 1000, &number)) {
                fprintf(stderr, PROGRAM ": --units-per-commune '%s' is not from 1 to 1000\n",
                        value);
                return EXIT_USAGE;
            }
            opt->units_per_commune = number;
        } else {
            fprintf(stderr, PROGRAM ": unknown option '%s'\n", name);
            return EXIT_USAGE;
        }
    }
    if (!opt->form) {
        fprintf(stderr, PROGRAM ": --form is required\n");
        usage(stderr);
        return EXIT_USAGE;
    }
    return 0;
}

int main(int argc, char **argv)
{
    options opt;
    int exit_code = parse_options(argc, argv, &opt);
    if (exit_code != 0)
        return exit_code < 0 ? EXIT_SUCCESS : exit_code;

    sipas_error err;
    sipas_error_clear(&err);
    sipas_instrument *instrument = NULL;
    generator g;
    bool generator_ready = false;
    FILE *out = stdout;
    exit_code = EXIT_FAILURE;

    if (sipas_instrument_find(opt.surveys_dir, opt.form, &instrument, &err) != SIPAS_OK)
        goto cleanup;
    generator_ready = true;
    if (generator_init(&g, &opt, instrument, &err) != 0)
        goto cleanup;
    if (opt.out_path) {
        out = fopen(opt.out_path, "w");
        if (!out) {
            sipas_error_set(&err, SIPAS_ERR_IO, "cannot open '%s': %s", opt.out_path,
                            strerror(errno));
            goto cleanup;
        }
    }
    if (write_header(&g, out, &err) != 0)
        goto cleanup;
    for (int year = opt.first_wave; year <= opt.last_wave; year++)
        if (write_wave(&g, out, year, &err) != 0)
            goto cleanup;
    if (fflush(out) != 0 || ferror(out)) {
        sipas_error_set(&err, SIPAS_ERR_IO, "cannot write '%s': %s",
                        opt.out_path ? opt.out_path : "standard output", strerror(errno));
        goto cleanup;
    }
    exit_code = EXIT_SUCCESS;

cleanup:
    if (out && out != stdout) {
        if (fclose(out) != 0 && exit_code == EXIT_SUCCESS) {
            sipas_error_set(&err, SIPAS_ERR_IO, "cannot write '%s': %s", opt.out_path,
                            strerror(errno));
            exit_code = EXIT_FAILURE;
        }
        /* A half-written batch must not look like a finished one. */
        if (exit_code != EXIT_SUCCESS && remove(opt.out_path) != 0)
            fprintf(stderr, PROGRAM ": cannot remove partial '%s': %s\n", opt.out_path,
                    strerror(errno));
    }
    if (exit_code != EXIT_SUCCESS)
        fprintf(stderr, PROGRAM ": %s\n", err.message);
    if (generator_ready)
        generator_release(&g);
    sipas_instrument_free(instrument);
    return exit_code;
}
