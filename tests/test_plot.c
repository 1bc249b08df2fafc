/* test_plot.c - every chart kind in every format through the real gnuplot, the kept script,
 * hostile names, a missing or failing gnuplot, and option checks.
 *
 * The charts use realistic Lạng Sơn numbers (province waves 2019-2024, the 11 districts). They
 * are written into a fresh temporary directory that is removed at the end; set
 * SIPAS_PLOT_TEST_KEEP=1 to keep it and look at the charts (its path is printed on stderr). */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "sipas/init.h"
#include "sipas/plot.h"
#include "sipas/trend.h"
#include "scratch_dir.h"

static char work_dir[256];

static const char *const district_names[11] = {
    "Thành phố Lạng Sơn", "Tràng Định", "Văn Lãng", "Văn Quan", "Bình Gia", "Bắc Sơn",
    "Hữu Lũng",           "Chi Lăng",   "Cao Lộc",  "Lộc Bình", "Đình Lập",
};

/* District SIPAS 2024 (proportions) and the half-width of their 95% intervals. */
static const double district_sipas[11] = {0.9312, 0.8654, 0.8821, 0.8577, 0.8493, 0.8935,
                                          0.9076, 0.8868, 0.9154, 0.8712, 0.8707};
static const double district_half_width[11] = {0.018, 0.031, 0.027, 0.029, 0.033, 0.026,
                                               0.022, 0.025, 0.021, 0.028, 0.034};

static const char *const element_names[5] = {
    "Tiếp cận dịch vụ",
    "Thủ tục hành chính",
    "Công chức trực tiếp giải quyết công việc",
    "Kết quả cung ứng dịch vụ",
    "Tiếp nhận, xử lý góp ý, phản ánh, kiến nghị",
};

static char *path_in_work(const char *name)
{
    static char paths[8][512];
    static int next;
    char *p = paths[next++ % 8];
    snprintf(p, 512, "%s/%s", work_dir, name);
    return p;
}

/* The whole file, NUL-terminated; *size is its length. */
static char *slurp(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        fail_msg("cannot open '%s': %s", path, strerror(errno));
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    long len = ftell(f);
    assert_true(len >= 0);
    assert_int_equal(fseek(f, 0, SEEK_SET), 0);
    char *data = malloc((size_t)len + 1);
    assert_non_null(data);
    assert_int_equal(fread(data, 1, (size_t)len, f), (size_t)len);
    assert_int_equal(fclose(f), 0);
    data[len] = '\0';
    *size = (size_t)len;
    return data;
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    assert_int_equal(fputs(text, f) >= 0, 1);
    assert_int_equal(fclose(f), 0);
}

static bool file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

static uint32_t big_endian32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Checks the file's signature and size; for SVG every expected text must appear; for PNG the
 * pixel size must be the requested one. */
static void check_chart(const char *path, sipas_plot_format format, int width, int height,
                        const char *const *expected_texts)
{
    size_t size;
    char *data = slurp(path, &size);
    if (size <= 1024 || size >= 5u << 20)
        fail_msg("'%s' has %zu bytes", path, size);
    switch (format) {
    case SIPAS_PLOT_PNG:
        assert_memory_equal(data, "\x89PNG\r\n\x1a\n", 8);
        assert_memory_equal(data + 12, "IHDR", 4);
        assert_int_equal(big_endian32((const unsigned char *)data + 16), (uint32_t)width);
        assert_int_equal(big_endian32((const unsigned char *)data + 20), (uint32_t)height);
        break;
    case SIPAS_PLOT_SVG:
        assert_non_null(strstr(data, "<svg"));
        assert_non_null(strstr(data, "</svg>"));
        for (const char *const *t = expected_texts; t != NULL && *t != NULL; t++)
            if (strstr(data, *t) == NULL)
                fail_msg("'%s' does not contain '%s'", path, *t);
        break;
    case SIPAS_PLOT_PDF:
        assert_memory_equal(data, "%PDF-", 5);
        break;
    default:
        fail_msg("unexpected format %d", (int)format);
    }
    free(data);
}

/* No temporary output or script may stay behind in the work directory. */
static void check_no_leftovers(void)
{
    DIR *d = opendir(work_dir);
    assert_non_null(d);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);
        if (len > 4 && strcmp(e->d_name + len - 4, ".tmp") == 0)
            fail_msg("temporary file '%s' left in '%s'", e->d_name, work_dir);
    }
    assert_int_equal(closedir(d), 0);
}

static const struct {
    sipas_plot_format format;
    const char *extension;
} formats[] = {
    {SIPAS_PLOT_PNG, "png"},
    {SIPAS_PLOT_SVG, "svg"},
    {SIPAS_PLOT_PDF, "pdf"},
};

/* ---------------------------------------------------------------------------------------------
 * Realistic inputs. */

#define NPROVINCE 6
#define NFIT ((2030 - 2019) * 4 + 1)

typedef struct trend_data {
    sipas_plot_wave waves[3][NPROVINCE];
    sipas_plot_fit_point fit[NFIT];
    sipas_plot_series series[3];
    sipas_plot_target targets[2];
    sipas_plot_trend trend;
} trend_data;

/* Province waves around 0.85-0.89 with two districts; the province's line and band come from
 * the library's own trend fit, as the analysis program computes them. */
static void make_trend(trend_data *d)
{
    static const double province[NPROVINCE] = {0.8523, 0.8607, 0.8581, 0.8735, 0.8819, 0.8907};
    static const double dinh_lap[NPROVINCE] = {0.8012, 0.8190, 0.8305, 0.8297, 0.8466, 0.8707};
    static const double cao_loc[NPROVINCE] = {0.8871, 0.8902, 0.9015, 0.8968, 0.9080, 0.9154};
    const double *values[3] = {province, dinh_lap, cao_loc};
    const double half[3] = {0.011, 0.034, 0.022};
    sipas_wave_value wv[NPROVINCE];
    for (int k = 0; k < 3; k++) {
        for (int i = 0; i < NPROVINCE; i++) {
            d->waves[k][i] = (sipas_plot_wave){.year = 2019 + i, .estimate = values[k][i],
                                               .ci_low = values[k][i] - half[k],
                                               .ci_high = values[k][i] + half[k]};
            if (k == 0)
                wv[i] = (sipas_wave_value){.year = 2019 + i, .estimate = province[i],
                                           .variance = pow(half[0] / 1.96, 2), .df = INFINITY};
        }
    }
    sipas_trend_fit fit;
    sipas_error err = {0};
    assert_int_equal(sipas_trend_fit_waves(wv, NPROVINCE, SIPAS_TREND_KNOWN_VARIANCE, 0.95, &fit,
                                           &err), SIPAS_OK);
    for (int i = 0; i < NFIT; i++) {
        sipas_projection p;
        assert_int_equal(sipas_trend_project(&fit, 2019 + 0.25 * i, &p, &err), SIPAS_OK);
        d->fit[i] = (sipas_plot_fit_point){.year = p.year, .fit = p.estimate,
                                           .band_low = p.ci_low, .band_high = p.ci_high};
    }
    d->series[0] = (sipas_plot_series){.name = "Toàn tỉnh Lạng Sơn", .waves = d->waves[0],
                                       .nwaves = NPROVINCE, .fit = d->fit, .nfit = NFIT};
    d->series[1] = (sipas_plot_series){.name = "Đình Lập", .waves = d->waves[1],
                                       .nwaves = NPROVINCE};
    d->series[2] = (sipas_plot_series){.name = "Cao Lộc", .waves = d->waves[2],
                                       .nwaves = NPROVINCE};
    d->targets[0] = (sipas_plot_target){.threshold = 0.90, .year = 2025, .label = "90% (2025)"};
    d->targets[1] = (sipas_plot_target){.threshold = 0.95, .year = 2030, .label = "95% (2030)"};
    d->trend = (sipas_plot_trend){.series = d->series, .nseries = 3, .targets = d->targets,
                                  .ntargets = 2, .y_min = NAN, .y_max = NAN};
}

/* Districts sorted from the highest estimate down, as the caller must. */
static void make_ranking_units(sipas_plot_unit units[11])
{
    int order[11];
    for (int i = 0; i < 11; i++)
        order[i] = i;
    for (int i = 1; i < 11; i++)
        for (int j = i; j > 0 && district_sipas[order[j]] > district_sipas[order[j - 1]]; j--) {
            int t = order[j];
            order[j] = order[j - 1];
            order[j - 1] = t;
        }
    for (int i = 0; i < 11; i++) {
        int k = order[i];
        units[i] = (sipas_plot_unit){.name = district_names[k], .estimate = district_sipas[k],
                                     .ci_low = district_sipas[k] - district_half_width[k],
                                     .ci_high = district_sipas[k] + district_half_width[k]};
    }
}

static void make_profile(sipas_plot_unit current[5], sipas_plot_unit previous[5])
{
    static const double now[5] = {0.9121, 0.8833, 0.9047, 0.8792, 0.8356};
    static const double before[5] = {0.8987, 0.8712, 0.8893, 0.8801, 0.8104};
    for (int i = 0; i < 5; i++) {
        current[i] = (sipas_plot_unit){.name = element_names[i], .estimate = now[i],
                                       .ci_low = now[i] - 0.012, .ci_high = now[i] + 0.012};
        previous[i] = (sipas_plot_unit){.name = element_names[i], .estimate = before[i],
                                        .ci_low = before[i] - 0.013,
                                        .ci_high = before[i] + 0.013};
    }
}

/* District by element: the district's SIPAS shifted by a fixed element effect; Bắc Sơn has no
 * answers on the fifth element (NaN). */
static void make_heatmap_values(double values[11 * 5])
{
    static const double element_shift[5] = {0.021, -0.008, 0.014, -0.004, -0.047};
    for (int i = 0; i < 11; i++)
        for (int j = 0; j < 5; j++)
            values[i * 5 + j] = district_sipas[i] + element_shift[j] + 0.003 * ((i + j) % 3 - 1);
    values[5 * 5 + 4] = NAN;
}

static sipas_plot_options options_for(const char *name, sipas_plot_format format)
{
    return (sipas_plot_options){.output_path = path_in_work(name), .format = format,
                                .decimal_comma = true,
                                .x_label = NULL, .y_label = NULL};
}

/* ---------------------------------------------------------------------------------------------
 * Every kind in every format. */

static void test_trend_every_format(void **state)
{
    (void)state;
    trend_data d;
    make_trend(&d);
    for (size_t f = 0; f < sizeof formats / sizeof formats[0]; f++) {
        char name[64];
        snprintf(name, sizeof name, "trend.%s", formats[f].extension);
        sipas_plot_options opt = options_for(name, SIPAS_PLOT_FORMAT_AUTO);
        opt.title = "Chỉ số SIPAS tỉnh Lạng Sơn 2019-2024 và xu hướng đến 2030";
        opt.x_label = "Năm";
        opt.y_label = "Tỷ lệ hài lòng";
        sipas_error err = {0};
        sipas_status st = sipas_plot_trend_chart(&d.trend, &opt, &err);
        if (st != SIPAS_OK)
            fail_msg("%s: %s", name, err.message);
        const char *texts[] = {"Toàn tỉnh Lạng Sơn", "Đình Lập", "90% (2025)", "95% (2030)",
                               "Tỷ lệ hài lòng", NULL};
        check_chart(opt.output_path, formats[f].format, 960, 600, texts);
    }
    check_no_leftovers();
}

static void test_ranking_every_format(void **state)
{
    (void)state;
    sipas_plot_unit units[11];
    make_ranking_units(units);
    sipas_plot_ranking ranking = {
        .units = units, .nunits = 11, .target = 0.90, .target_label = "Mục tiêu 2025: 90%",
        .reference = 0.8907, .reference_label = "Toàn tỉnh: 89,1%",
        .below_label = "Dưới mục tiêu", .x_min = NAN, .show_values = true};
    for (size_t f = 0; f < sizeof formats / sizeof formats[0]; f++) {
        char name[64];
        snprintf(name, sizeof name, "ranking.%s", formats[f].extension);
        /* The format given explicitly, not from the extension. */
        sipas_plot_options opt = options_for(name, formats[f].format);
        opt.title = "SIPAS 2024 theo huyện, thành phố";
        sipas_error err = {0};
        if (sipas_plot_ranking_chart(&ranking, &opt, &err) != SIPAS_OK)
            fail_msg("%s: %s", name, err.message);
        /* 87,1 is Đình Lập's value printed with a decimal comma. */
        const char *texts[] = {"Thành phố Lạng Sơn", "Đình Lập", "Hữu Lũng", "Mục tiêu 2025: 90%",
                               "Dưới mục tiêu", "87,1", NULL};
        check_chart(opt.output_path, formats[f].format, 960, 230 + 34 * 11, texts);
    }
    check_no_leftovers();
}

static void test_profile_every_format(void **state)
{
    (void)state;
    sipas_plot_unit current[5], previous[5];
    make_profile(current, previous);
    sipas_plot_profile profile = {.current = current, .previous = previous, .nelements = 5,
                                  .current_name = "2024", .previous_name = "2023",
                                  .target = 0.90, .target_label = "Mục tiêu 90%",
                                  .x_min = NAN, .x_max = NAN};
    for (size_t f = 0; f < sizeof formats / sizeof formats[0]; f++) {
        char name[64];
        snprintf(name, sizeof name, "profile.%s", formats[f].extension);
        sipas_plot_options opt = options_for(name, SIPAS_PLOT_FORMAT_AUTO);
        opt.title = "Hài lòng theo yếu tố, 2024 so với 2023";
        opt.width = 900;
        opt.height = 500;
        sipas_error err = {0};
        if (sipas_plot_profile_chart(&profile, &opt, &err) != SIPAS_OK)
            fail_msg("%s: %s", name, err.message);
        /* wrapped at 40 characters onto two lines */
        const char *texts[] = {"Tiếp nhận, xử lý góp ý, phản ánh, kiến", ">nghị<", "2023",
                               "Mục tiêu 90%", NULL};
        check_chart(opt.output_path, formats[f].format, 900, 500, texts);
    }
    check_no_leftovers();
}

static void test_heatmap_every_format(void **state)
{
    (void)state;
    double values[11 * 5];
    make_heatmap_values(values);
    const char *short_elements[5] = {"Tiếp cận dịch vụ", "Thủ tục hành chính",
                                     "Công chức giải quyết công việc", "Kết quả dịch vụ",
                                     "Góp ý, phản ánh, kiến nghị"};
    sipas_plot_heatmap heatmap = {.row_names = district_names, .nrows = 11,
                                  .column_names = short_elements, .ncolumns = 5,
                                  .values = values, .target = 0.90,
                                  .class_labels = {"≥ 90%", "80% đến dưới 90%", "dưới 80%"}};
    for (size_t f = 0; f < sizeof formats / sizeof formats[0]; f++) {
        char name[64];
        snprintf(name, sizeof name, "heatmap.%s", formats[f].extension);
        sipas_plot_options opt = options_for(name, SIPAS_PLOT_FORMAT_AUTO);
        opt.title = "Hài lòng theo huyện và yếu tố, 2024";
        sipas_error err = {0};
        if (sipas_plot_heatmap_chart(&heatmap, &opt, &err) != SIPAS_OK)
            fail_msg("%s: %s", name, err.message);
        /* Thành phố Lạng Sơn, Tiếp cận: 93.12 + 2.1 - 0.3 = 94.92 -> "94,9". */
        const char *texts[] = {"Bắc Sơn", "Đình Lập", "≥ 90%", "80% đến dưới 90%", "94,9", NULL};
        check_chart(opt.output_path, formats[f].format, 960, 240 + 36 * 11, texts);
    }
    check_no_leftovers();
}

/* The heat map's colours come from fixed thresholds around the target, not from the data's
 * range: 79% is red (under target - 10 points) whether the other cells are 60% or 95%; 80% is
 * amber (the band's lower end is amber), 89.99% amber, 90% green. */
static void test_heatmap_fixed_thresholds(void **state)
{
    (void)state;
    const char *rows[2] = {"Bắc Sơn", "Đình Lập"};
    const char *columns[3] = {"Tiếp cận", "Thủ tục", "Góp ý"};
    const double low_values[6] = {0.79, 0.60, 0.80, 0.8999, 0.90, 0.65};
    const double high_values[6] = {0.79, 0.95, 0.80, 0.8999, 0.90, 0.99};
    const char *expected[2][3] = {{"79.0 2 0", "60.0 2 0", "80.0 1 0"},
                                  {"79.0 2 0", "95.0 0 0", "80.0 1 0"}};
    for (int k = 0; k < 2; k++) {
        sipas_plot_heatmap heatmap = {.row_names = rows, .nrows = 2, .column_names = columns,
                                      .ncolumns = 3, .values = k ? high_values : low_values,
                                      .target = 0.90};
        sipas_plot_options opt = {.output_path = path_in_work("thresholds.svg"),
                                  .keep_script = path_in_work("thresholds.gp")};
        sipas_error err = {0};
        if (sipas_plot_heatmap_chart(&heatmap, &opt, &err) != SIPAS_OK)
            fail_msg("%s", err.message);
        size_t size;
        char *gp = slurp(opt.keep_script, &size);
        for (int j = 0; j < 3; j++)
            if (strstr(gp, expected[k][j]) == NULL)
                fail_msg("heat map %d: no cell '%s' in\n%s", k, expected[k][j], gp);
        assert_non_null(strstr(gp, "90 90.0 0 0")); /* the target itself is green */
        assert_non_null(strstr(gp, "89.99 90.0 1 0")); /* printed 90.0, still amber */
        free(gp);
    }
}

/* Long names are wrapped, never cut: every word of a 120-character element name and of a
 * 200-character title reaches the SVG, and no ellipsis is added. */
static void test_long_labels_wrap(void **state)
{
    (void)state;
    const char *long_name = "Tiếp nhận, giải quyết góp ý, phản ánh, kiến nghị của người dân, tổ "
                            "chức về các quy định hành chính và thủ tục hành chính";
    sipas_plot_unit units[2] = {
        {.name = long_name, .estimate = 0.85, .ci_low = 0.82, .ci_high = 0.88},
        {.name = "Thủ tục hành chính", .estimate = 0.90, .ci_low = 0.88, .ci_high = 0.92}};
    sipas_plot_profile profile = {.current = units, .nelements = 2, .current_name = "2024",
                                  .target = NAN, .x_min = NAN, .x_max = NAN};
    sipas_plot_options opt = {.output_path = path_in_work("long.svg"),
                              .title = "Chỉ số hài lòng về sự phục vụ hành chính của các cơ quan "
                                       "chuyên môn thuộc Ủy ban nhân dân tỉnh và Ủy ban nhân dân "
                                       "các huyện, thành phố, so sánh năm 2024 với năm 2023 theo "
                                       "từng yếu tố"};
    sipas_error err = {0};
    if (sipas_plot_profile_chart(&profile, &opt, &err) != SIPAS_OK)
        fail_msg("%s", err.message);
    size_t size;
    char *svg = slurp(opt.output_path, &size);
    assert_null(strstr(svg, "\xe2\x80\xa6")); /* no ellipsis */
    /* every word of the name and of the title, each inside some line of text */
    const char *texts[] = {long_name, opt.title};
    for (int t = 0; t < 2; t++) {
        char *copy = strdup(texts[t]);
        assert_non_null(copy);
        for (char *save = NULL, *w = strtok_r(copy, " ", &save); w != NULL;
             w = strtok_r(NULL, " ", &save))
            if (strstr(svg, w) == NULL)
                fail_msg("the SVG lacks the word '%s'", w);
        free(copy);
    }
    free(svg);
}

/* Only suppressed units (a one-district design whose estimate NCHS suppresses): the ranking
 * is drawn with an outlined bar and its value in dark text. gnuplot 5.4 crashed (signal 11)
 * when the white value labels of filled bars had no point at all. */
static void test_ranking_only_suppressed(void **state)
{
    (void)state;
    sipas_plot_unit unit = {.name = "Huyện 1", .estimate = 0.57, .ci_low = 0.45,
                            .ci_high = 0.68, .suppressed = true};
    sipas_plot_ranking ranking = {.units = &unit, .nunits = 1, .target = 0.9,
                                  .target_label = "Mục tiêu", .reference = 0.57,
                                  .reference_low = 0.52, .reference_high = 0.62,
                                  .reference_label = "Toàn tỉnh",
                                  .reference_band_label = "Khoảng tin cậy toàn tỉnh",
                                  .x_min = 0.4, .show_values = true,
                                  .suppressed_label = "Không đủ tin cậy"};
    sipas_plot_options opt = {.output_path = path_in_work("only-suppressed.svg"),
                              .keep_script = path_in_work("only-suppressed.gp")};
    sipas_error err = {0};
    if (sipas_plot_ranking_chart(&ranking, &opt, &err) != SIPAS_OK)
        fail_msg("%s", err.message);
    size_t size;
    char *gp = slurp(opt.keep_script, &size);
    assert_non_null(strstr(gp, "$below_open using"));
    assert_null(strstr(gp, "tc rgb 'white'")); /* no label plot without points */
    free(gp);
    char *svg = slurp(opt.output_path, &size);
    assert_non_null(strstr(svg, ">57.0<"));
    assert_non_null(strstr(svg, "Không đủ tin cậy"));
    free(svg);
}

/* The province and a target 0.19 points apart: never two lines that read as one. With the
 * province's interval it is a band and a marker; without, the marker alone; a province far from
 * the target keeps its line. */
static void test_ranking_province_near_target(void **state)
{
    (void)state;
    sipas_plot_unit units[2] = {{.name = "Văn Lãng", .estimate = 0.92, .ci_low = 0.89, .ci_high = 0.95},
                                {.name = "Bắc Sơn", .estimate = 0.85, .ci_low = 0.80, .ci_high = 0.90}};
    const struct {
        double reference, low, high;
        bool band, line;
    } cases[] = {{0.9019, 0.8881, 0.9141, true, false},
                 {0.9019, NAN, NAN, false, false},
                 {0.8500, NAN, NAN, false, true}};
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        sipas_plot_ranking ranking = {.units = units, .nunits = 2, .target = 0.90,
                                      .target_label = "Mục tiêu", .reference = cases[k].reference,
                                      .reference_low = cases[k].low,
                                      .reference_high = cases[k].high,
                                      .reference_label = "Toàn tỉnh", .x_min = 0.5};
        sipas_plot_options opt = {.output_path = path_in_work("near.svg"),
                                  .keep_script = path_in_work("near.gp")};
        sipas_error err = {0};
        if (sipas_plot_ranking_chart(&ranking, &opt, &err) != SIPAS_OK)
            fail_msg("%s", err.message);
        size_t size;
        char *gp = slurp(opt.keep_script, &size);
        assert_int_equal(strstr(gp, "set object 1 rect") != NULL, cases[k].band);
        assert_int_equal(strstr(gp, "$reference << EOD") != NULL, cases[k].line);
        assert_int_equal(strstr(gp, "with points pt 11") != NULL, !cases[k].line);
        free(gp);
    }
}

/* Decimal point when decimal_comma is off, and a blank for the missing cell: the heat map of one
 * row has exactly one value label. */
static void test_heatmap_decimal_point_and_blank_cell(void **state)
{
    (void)state;
    const char *rows[1] = {"Bắc Sơn"};
    const char *columns[2] = {"Tiếp cận", "Góp ý"};
    double values[2] = {0.8745, NAN};
    sipas_plot_heatmap heatmap = {.row_names = rows, .nrows = 1, .column_names = columns,
                                  .ncolumns = 2, .values = values, .target = NAN};
    sipas_plot_options opt = {.output_path = path_in_work("one-row.svg")};
    opt.keep_script = path_in_work("one-row.gp");
    sipas_error err = {0};
    if (sipas_plot_heatmap_chart(&heatmap, &opt, &err) != SIPAS_OK)
        fail_msg("%s", err.message);
    size_t size;
    char *gp = slurp(opt.keep_script, &size);
    assert_non_null(strstr(gp, "1 1 87.45 87.5 3 0\nEOD")); /* class 3: no target, neutral */
    assert_null(strstr(gp, "decimalsign"));
    free(gp);
    char *svg = slurp(opt.output_path, &size);
    assert_non_null(strstr(svg, "87.5"));
    assert_null(strstr(svg, "NaN"));
    free(svg);
}

/* ---------------------------------------------------------------------------------------------
 * The kept script. */

static void test_keep_script(void **state)
{
    (void)state;
    trend_data d;
    make_trend(&d);
    sipas_plot_options opt = options_for("kept.png", SIPAS_PLOT_FORMAT_AUTO);
    opt.keep_script = path_in_work("kept.gp");
    sipas_error err = {0};
    if (sipas_plot_trend_chart(&d.trend, &opt, &err) != SIPAS_OK)
        fail_msg("%s", err.message);
    size_t size;
    char *gp = slurp(opt.keep_script, &size);
    assert_non_null(strstr(gp, opt.output_path));
    assert_non_null(strstr(gp, "$waves1 << EOD\n2019 85.23 "));
    assert_non_null(strstr(gp, "set terminal pngcairo size 960,600"));
    assert_non_null(strstr(gp, "set decimalsign ','"));
    free(gp);
    check_chart(opt.output_path, SIPAS_PLOT_PNG, 960, 600, NULL);

    /* Run by hand, the kept script redraws the output itself. */
    assert_int_equal(unlink(opt.output_path), 0);
    char command[1200];
    snprintf(command, sizeof command, "gnuplot '%s' 2>/dev/null", opt.keep_script);
    assert_int_equal(system(command), 0);
    check_chart(opt.output_path, SIPAS_PLOT_PNG, 960, 600, NULL);
    check_no_leftovers();
}

/* ---------------------------------------------------------------------------------------------
 * Hostile text: quotes, backslashes, a newline, '@' (macros), backticks (command substitution)
 * and enhanced-text markup must reach the chart literally and run nothing. */

static void test_hostile_names(void **state)
{
    (void)state;
    char pwned[512];
    snprintf(pwned, sizeof pwned, "%s/pwned", work_dir);
    char hostile[1200];
    snprintf(hostile, sizeof hostile,
             "O'Brien \"Q\" back\\slash\nline2 @x &amp; ^{s}_b `touch %s` $(touch %s) '",
             pwned, pwned);
    sipas_plot_unit units[2] = {
        {.name = hostile, .estimate = 0.81, .ci_low = 0.78, .ci_high = 0.84},
        {.name = "Văn Quan", .estimate = 0.86, .ci_low = NAN, .ci_high = NAN},
    };
    sipas_plot_ranking ranking = {.units = units, .nunits = 2, .target = 0.9,
                                  .target_label = hostile, .reference = NAN, .x_min = NAN};
    sipas_plot_options opt = options_for("hostile.svg", SIPAS_PLOT_FORMAT_AUTO);
    opt.title = hostile;
    opt.x_label = "\\";
    opt.y_label = "'";
    sipas_error err = {0};
    if (sipas_plot_ranking_chart(&ranking, &opt, &err) != SIPAS_OK)
        fail_msg("%s", err.message);
    assert_false(file_exists(pwned));
    size_t size;
    char *svg = slurp(opt.output_path, &size);
    /* The svg terminal escapes XML's special characters; the rest arrives as written, the
     * newline as a space. */
    const char *texts[] = {"O'Brien \"Q\" back\\slash line2 @x &amp;amp; ^{s}_b `touch",
                           "$(touch", NULL};
    for (const char *const *t = texts; *t != NULL; t++)
        if (strstr(svg, *t) == NULL)
            fail_msg("the chart does not contain '%s'", *t);
    free(svg);
}

/* ---------------------------------------------------------------------------------------------
 * gnuplot missing, failing, or writing nothing. */

/* Draws a one-unit ranking with PATH set to dir only, then restores PATH. */
static sipas_status ranking_with_path(const char *dir, const char *output, sipas_error *err)
{
    sipas_plot_unit unit = {.name = "Lộc Bình", .estimate = 0.87, .ci_low = 0.84,
                            .ci_high = 0.90};
    sipas_plot_ranking ranking = {.units = &unit, .nunits = 1, .target = NAN, .reference = NAN,
                                  .x_min = NAN};
    sipas_plot_options opt = {.output_path = output};
    const char *old = getenv("PATH");
    char *saved = old != NULL ? strdup(old) : NULL;
    assert_true(old == NULL || saved != NULL);
    assert_int_equal(setenv("PATH", dir, 1), 0);
    sipas_status st = sipas_plot_ranking_chart(&ranking, &opt, err);
    if (saved != NULL) {
        assert_int_equal(setenv("PATH", saved, 1), 0);
        free(saved);
    } else {
        assert_int_equal(unsetenv("PATH"), 0);
    }
    return st;
}

static void make_dir(const char *path)
{
    if (mkdir(path, 0700) != 0 && errno != EEXIST)
        fail_msg("cannot create '%s': %s", path, strerror(errno));
}

static void test_gnuplot_missing(void **state)
{
    (void)state;
    char *empty = path_in_work("empty-bin");
    make_dir(empty);
    char *output = path_in_work("missing.png");
    sipas_error err = {0};
    assert_int_equal(ranking_with_path(empty, output, &err), SIPAS_ERR_NOT_FOUND);
    assert_string_equal(err.message,
                        "gnuplot is not installed; install the Debian package gnuplot-nox");
    assert_false(file_exists(output));
    check_no_leftovers();
}

/* A stand-in gnuplot: a shell script given the body. */
static char *fake_gnuplot(const char *dir_name, const char *body)
{
    char *dir = path_in_work(dir_name);
    make_dir(dir);
    char program[600];
    snprintf(program, sizeof program, "%s/gnuplot", dir);
    char text[1024];
    snprintf(text, sizeof text, "#!/bin/sh\n%s\n", body);
    write_text(program, text);
    assert_int_equal(chmod(program, 0755), 0);
    return dir;
}

static void test_gnuplot_failure_keeps_old_chart(void **state)
{
    (void)state;
    char *dir = fake_gnuplot("failing-bin",
                             "echo 'plot $nothing' >&2\necho '\"x.gp\" line 9: boom' >&2\nexit 3");
    char *output = path_in_work("old.png");
    write_text(output, "old chart");
    sipas_error err = {0};
    assert_int_equal(ranking_with_path(dir, output, &err), SIPAS_ERR_IO);
    char expected[1200];
    snprintf(expected, sizeof expected,
             "gnuplot failed to draw '%s' (exit status 3): plot $nothing \"x.gp\" line 9: boom",
             output);
    assert_string_equal(err.message, expected);
    size_t size;
    char *kept = slurp(output, &size);
    assert_string_equal(kept, "old chart");
    free(kept);
    check_no_leftovers();
}

static void test_gnuplot_writing_nothing(void **state)
{
    (void)state;
    char *dir = fake_gnuplot("silent-bin", "exit 0");
    char *output = path_in_work("nothing.png");
    sipas_error err = {0};
    assert_int_equal(ranking_with_path(dir, output, &err), SIPAS_ERR_IO);
    char expected[1200];
    snprintf(expected, sizeof expected, "gnuplot wrote nothing to '%s'", output);
    assert_string_equal(err.message, expected);
    assert_false(file_exists(output));
    check_no_leftovers();
}

/* ---------------------------------------------------------------------------------------------
 * Options and inputs the functions refuse. */

static void test_format_from_path(void **state)
{
    (void)state;
    assert_int_equal(sipas_plot_format_from_path("a/b.PNG"), SIPAS_PLOT_PNG);
    assert_int_equal(sipas_plot_format_from_path("b.svg"), SIPAS_PLOT_SVG);
    assert_int_equal(sipas_plot_format_from_path("b.Pdf"), SIPAS_PLOT_PDF);
    assert_int_equal(sipas_plot_format_from_path("b.jpg"), SIPAS_PLOT_FORMAT_AUTO);
    assert_int_equal(sipas_plot_format_from_path("dir.png/chart"), SIPAS_PLOT_FORMAT_AUTO);
    assert_int_equal(sipas_plot_format_from_path(NULL), SIPAS_PLOT_FORMAT_AUTO);
}

static void test_refused_inputs(void **state)
{
    (void)state;
    sipas_plot_unit unit = {.name = "Chi Lăng", .estimate = 0.88, .ci_low = 0.85,
                            .ci_high = 0.91};
    sipas_plot_ranking ranking = {.units = &unit, .nunits = 1, .target = NAN, .reference = NAN,
                                  .x_min = NAN};
    sipas_error err = {0};

    sipas_plot_options opt = {.output_path = "chart.jpg"};
    assert_int_equal(sipas_plot_ranking_chart(&ranking, &opt, &err), SIPAS_ERR_USAGE);
    assert_string_equal(err.message,
                        "cannot tell the chart format of 'chart.jpg': use .png, .svg or .pdf");

    opt = (sipas_plot_options){.output_path = NULL};
    assert_int_equal(sipas_plot_ranking_chart(&ranking, &opt, &err), SIPAS_ERR_USAGE);
    assert_string_equal(err.message, "a chart needs an output path");

    opt = (sipas_plot_options){.output_path = path_in_work("x.png"), .width = 50000};
    assert_int_equal(sipas_plot_ranking_chart(&ranking, &opt, &err), SIPAS_ERR_USAGE);
    assert_string_equal(err.message,
                        "chart size 50000x500 is out of range (100 to 10000 pixels a side)");

    opt = (sipas_plot_options){.output_path = path_in_work("x.png")};
    sipas_plot_unit wrong = {.name = "Chi Lăng", .estimate = 0.88, .ci_low = 0.90,
                             .ci_high = 0.91};
    ranking.units = &wrong;
    assert_int_equal(sipas_plot_ranking_chart(&ranking, &opt, &err), SIPAS_ERR_USAGE);
    assert_string_equal(err.message, "'Chi Lăng': the interval does not contain the estimate");

    ranking.nunits = 0;
    assert_int_equal(sipas_plot_ranking_chart(&ranking, &opt, &err), SIPAS_ERR_USAGE);
    assert_string_equal(err.message, "a chart needs 1 to 200 units, not 0");

    sipas_plot_fit_point backwards[2] = {{.year = 2024, .fit = 0.9, .band_low = NAN,
                                          .band_high = NAN},
                                         {.year = 2023, .fit = 0.9, .band_low = NAN,
                                          .band_high = NAN}};
    sipas_plot_series series = {.name = "Toàn tỉnh", .fit = backwards, .nfit = 2};
    sipas_plot_trend trend = {.series = &series, .nseries = 1, .y_min = NAN, .y_max = NAN};
    assert_int_equal(sipas_plot_trend_chart(&trend, &opt, &err), SIPAS_ERR_USAGE);
    assert_string_equal(err.message, "series 'Toàn tỉnh': fit years must increase");

    opt.output_path = path_in_work("no-such-dir/x.png");
    ranking.units = &unit;
    ranking.nunits = 1;
    assert_int_equal(sipas_plot_ranking_chart(&ranking, &opt, &err), SIPAS_ERR_IO);
    char expected[1200];
    snprintf(expected, sizeof expected, "cannot write '%s': No such file or directory",
             opt.output_path);
    assert_string_equal(err.message, expected);
    assert_false(file_exists(path_in_work("x.png")));
}

/* ---------------------------------------------------------------------------------------------
 * Set-up: a fresh work directory, removed afterwards unless SIPAS_PLOT_TEST_KEEP is set. */

static int make_work_dir(void **state)
{
    (void)state;
    const char *tmp = getenv("TMPDIR");
    snprintf(work_dir, sizeof work_dir, "%s/sipas-plot-test-XXXXXX",
             tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp");
    return mkdtemp(work_dir) == NULL ? -1 : 0;
}

static int remove_work_dir(void **state)
{
    (void)state;
    const char *keep = getenv("SIPAS_PLOT_TEST_KEEP");
    if (keep != NULL && keep[0] != '\0' && strcmp(keep, "0") != 0) {
        fprintf(stderr, "charts kept in %s\n", work_dir);
        return 0;
    }
    return scratch_dir_remove(work_dir);
}

int main(void)
{
    sipas_library_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_format_from_path),
        cmocka_unit_test(test_refused_inputs),
        cmocka_unit_test(test_trend_every_format),
        cmocka_unit_test(test_ranking_every_format),
        cmocka_unit_test(test_profile_every_format),
        cmocka_unit_test(test_heatmap_every_format),
        cmocka_unit_test(test_heatmap_decimal_point_and_blank_cell),
        cmocka_unit_test(test_heatmap_fixed_thresholds),
        cmocka_unit_test(test_ranking_only_suppressed),
        cmocka_unit_test(test_ranking_province_near_target),
        cmocka_unit_test(test_long_labels_wrap),
        cmocka_unit_test(test_keep_script),
        cmocka_unit_test(test_hostile_names),
        cmocka_unit_test(test_gnuplot_missing),
        cmocka_unit_test(test_gnuplot_failure_keeps_old_chart),
        cmocka_unit_test(test_gnuplot_writing_nothing),
    };
    return cmocka_run_group_tests(tests, make_work_dir, remove_work_dir);
}
