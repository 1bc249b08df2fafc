/* gen_designs.c - writes random survey designs with degenerate variance (issue 9), for
 * tests/cli/degenerate_designs.sh.
 *
 *   gen_designs OUTDIR FIRST_CASE NCASES
 *
 * Case k (seed k, so every run writes the same files) becomes
 *   OUTDIR/case_k/surveys/genk/{settings,survey,choices,elements}.csv   the instrument
 *   OUTDIR/case_k/batch.csv                                              the responses
 *   OUTDIR/case_k/design.txt   one line "key value" per fact the script needs (form, waves...)
 * A health survey: strata are districts (huyen), clusters are hospitals (benh_vien) nested in
 * them, so a hospital is both the PSU and a natural unit to rank. Each case draws:
 *   1-6 waves; 2-4 districts; 1-3 hospitals per district-wave (1 = a lonely stratum);
 *   1-30 patients per hospital (domains of 1-5 respondents arise);
 *   per hospital a share satisfied of 0, 1, the same 70% as its neighbours, or random;
 *   a criterion nobody answered (in one wave or always); with and without weights and fpc
 *   (fpc unless k is a multiple of 3; a census, fpc = hospitals sampled, when k is even).
 * Case 0 is the scenario: 6 waves, 4 districts of two hospitals of 30 patients, one
 * district whose hospitals have the same share in every wave, one district-wave with a single
 * hospital, weights and no fpc. Nothing here is random in the libc sense: splitmix64 seeded by
 * the case number. */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

enum { MAX_DISTRICTS = 4, NCRITERIA = 4 };

static uint64_t rng_state;

static uint64_t splitmix64(void)
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

/* uniform integer in [lo, hi] */
static int draw(int lo, int hi)
{
    return lo + (int)(splitmix64() % (uint64_t)(hi - lo + 1));
}

static double uniform(void)
{
    return (double)(splitmix64() >> 11) / 9007199254740992.0;
}

static int make_dir(const char *path)
{
    if (mkdir(path, 0777) != 0 && errno != EEXIST) {
        fprintf(stderr, "gen_designs: cannot create %s: %s\n", path, strerror(errno));
        return -1;
    }
    return 0;
}

/* Writes text to path; 0 on success. */
static int write_file(const char *path, const char *text)
{
    FILE *fp = fopen(path, "w");
    if (!fp) {
        fprintf(stderr, "gen_designs: cannot write %s: %s\n", path, strerror(errno));
        return -1;
    }
    bool ok = fputs(text, fp) >= 0;
    ok &= fclose(fp) == 0;
    if (!ok)
        fprintf(stderr, "gen_designs: writing %s failed\n", path);
    return ok ? 0 : -1;
}

typedef struct design {
    int nwaves, ndistricts;
    bool weights, fpc, census;
    int empty_criterion;   /* -1 none, else the criterion nobody answers */
    int empty_wave;        /* -1: in every wave, else only in that wave */
} design;

static const char *const district_codes[MAX_DISTRICTS] = {"trang_dinh", "dinh_lap", "loc_binh",
                                                          "cao_loc"};

static int write_instrument(const char *dir, int k, const design *d)
{
    char path[700], text[4096];
    snprintf(path, sizeof path, "%s/settings.csv", dir);
    snprintf(text, sizeof text,
             "form_id,version,form_title::vi,form_title::en,scoring,default_language\n"
             "gen%d,1,Khảo sát y tế %d,Health survey %d,satisfied_share,vi\n", k, k, k);
    if (write_file(path, text))
        return -1;
    snprintf(path, sizeof path, "%s/survey.csv", dir);
    int n = snprintf(text, sizeof text,
                     "type,name,label::vi,label::en,role,element,scoring,required,personal\n"
                     "text,respondent_id,Mã phiếu,Respondent ID,id,,,,no\n"
                     "integer,wave,Năm,Year,wave,,,yes,no\n"
                     "select_one huyen,huyen,Huyện,District,stratum,,,yes,no\n"
                     "text,benh_vien,Bệnh viện,Hospital,cluster,,,yes,no\n"
                     "select_one gioi,gioi,Giới,Sex,domain,,,,no\n");
    if (d->weights)
        n += snprintf(text + n, sizeof text - (size_t)n,
                      "decimal,weight,Trọng số,Weight,weight,,,yes,no\n");
    if (d->fpc)
        n += snprintf(text + n, sizeof text - (size_t)n,
                      "integer,hospitals_total,Số bệnh viện,Hospitals,fpc,,,yes,no\n");
    for (int c = 0; c < NCRITERIA; c++)
        n += snprintf(text + n, sizeof text - (size_t)n,
                      "select_one sat5,q%d,Tiêu chí %d,Criterion %d,criterion,%s,,no,no\n", c + 1,
                      c + 1, c + 1, c < 2 ? "e1" : "e2");
    if (write_file(path, text))
        return -1;
    snprintf(path, sizeof path, "%s/choices.csv", dir);
    n = snprintf(text, sizeof text,
                 "list_name,name,label::vi,label::en,satisfied,missing\n"
                 "sat5,1,Rất không hài lòng,Very dissatisfied,0,\n"
                 "sat5,2,Không hài lòng,Dissatisfied,0,\n"
                 "sat5,3,Bình thường,Neutral,0,\n"
                 "sat5,4,Hài lòng,Satisfied,1,\n"
                 "sat5,5,Rất hài lòng,Very satisfied,1,\n"
                 "sat5,99,Từ chối,Refused,0,refused\n"
                 "gioi,nam,Nam,Male,,\n"
                 "gioi,nu,Nữ,Female,,\n");
    for (int h = 0; h < d->ndistricts; h++)
        n += snprintf(text + n, sizeof text - (size_t)n, "huyen,%s,Huyện %d,District %d,,\n",
                      district_codes[h], h + 1, h + 1);
    if (write_file(path, text))
        return -1;
    snprintf(path, sizeof path, "%s/elements.csv", dir);
    return write_file(path, "name,label::vi,label::en,weight\n"
                            "e1,Tiếp cận,Access,1\n"
                            "e2,Kết quả,Results,1\n");
}

/* A satisfied (4-5) or not (1-3) answer code. */
static int answer(bool satisfied)
{
    return satisfied ? draw(4, 5) : draw(1, 3);
}

static int write_case(const char *outdir, int k)
{
    rng_state = 0x5151a5u + (uint64_t)k * 7919u;
    design d = {0};
    bool scenario = k == 0;
    d.nwaves = scenario ? 6 : draw(1, 6);
    d.ndistricts = scenario ? 4 : draw(2, MAX_DISTRICTS);
    d.weights = scenario || draw(0, 1);
    d.fpc = !scenario && k % 3 != 0;
    d.census = d.fpc && k % 2 == 0; /* both kinds of fpc in every run of even a few cases */
    d.empty_criterion = scenario ? -1 : draw(-1, NCRITERIA - 1);
    d.empty_wave = d.empty_criterion >= 0 ? draw(-1, d.nwaves - 1) : -1;

    char dir[512], path[640];
    snprintf(dir, sizeof dir, "%s/case_%d", outdir, k);
    if (make_dir(dir))
        return -1;
    snprintf(path, sizeof path, "%s/surveys", dir);
    if (make_dir(path))
        return -1;
    snprintf(path, sizeof path, "%s/surveys/gen%d", dir, k);
    if (make_dir(path) || write_instrument(path, k, &d))
        return -1;

    snprintf(path, sizeof path, "%s/batch.csv", dir);
    FILE *fp = fopen(path, "w");
    if (!fp) {
        fprintf(stderr, "gen_designs: cannot write %s: %s\n", path, strerror(errno));
        return -1;
    }
    fprintf(fp, "respondent_id,wave,huyen,benh_vien,gioi%s%s", d.weights ? ",weight" : "",
            d.fpc ? ",hospitals_total" : "");
    for (int c = 0; c < NCRITERIA; c++)
        fprintf(fp, ",q%d", c + 1);
    fputc('\n', fp);
    int id = 0, lonely_strata = 0, respondents = 0;
    for (int wv = 0; wv < d.nwaves; wv++) {
        for (int h = 0; h < d.ndistricts; h++) {
            /* the scenario: district 2 has one hospital in wave 4 (a lonely stratum) */
            int nhosp = scenario ? (h == 1 && wv == 3 ? 1 : 2) : draw(1, 3);
            lonely_strata += nhosp == 1;
            int population = d.census ? nhosp : nhosp + draw(1, 5);
            double shared = 0.7;
            for (int b = 0; b < nhosp; b++) {
                int patients = scenario ? 30 : (draw(0, 3) == 0 ? draw(1, 5) : draw(6, 30));
                /* the hospital's share: 0, 1, the shared 70% (alike PSUs) or random */
                int kind = scenario ? (h == 0 ? 2 : 3) : draw(0, 3);
                double share = kind == 0 ? 0 : kind == 1 ? 1 : kind == 2 ? shared : uniform();
                double weight = d.weights ? 50 + 450 * uniform() : 1;
                int satisfied_quota = (int)(share * patients + 0.5);
                for (int i = 0; i < patients; i++, id++) {
                    respondents++;
                    fprintf(fp, "r%d,%d,%s,bv_%s_%d,%s", id, 2019 + wv, district_codes[h],
                            district_codes[h], b + 1, draw(0, 1) ? "nam" : "nu");
                    if (d.weights)
                        fprintf(fp, ",%.4f", weight);
                    if (d.fpc)
                        fprintf(fp, ",%d", population);
                    for (int c = 0; c < NCRITERIA; c++) {
                        bool empty = c == d.empty_criterion &&
                                     (d.empty_wave < 0 || d.empty_wave == wv);
                        /* alike PSUs need the same share in every hospital: the first
                         * satisfied_quota patients are satisfied with every criterion */
                        bool satisfied = kind == 3 ? uniform() < share : i < satisfied_quota;
                        if (empty)
                            fputs(draw(0, 1) ? ",99" : ",", fp);
                        else
                            fprintf(fp, ",%d", answer(satisfied));
                    }
                    fputc('\n', fp);
                }
            }
        }
    }
    if (fclose(fp) != 0) {
        fprintf(stderr, "gen_designs: writing %s failed\n", path);
        return -1;
    }
    snprintf(path, sizeof path, "%s/design.txt", dir);
    char text[512];
    snprintf(text, sizeof text,
             "form gen%d\nwaves %d\nfirst_wave 2019\nlast_wave %d\ndistricts %d\nweights %d\n"
             "fpc %d\ncensus %d\nempty_criterion %d\nempty_wave %d\nlonely_strata %d\n"
             "respondents %d\n",
             k, d.nwaves, 2019 + d.nwaves - 1, d.ndistricts, d.weights, d.fpc, d.census,
             d.empty_criterion >= 0 ? d.empty_criterion + 1 : 0,
             d.empty_wave >= 0 ? 2019 + d.empty_wave : 0, lonely_strata, respondents);
    return write_file(path, text);
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: gen_designs OUTDIR FIRST_CASE NCASES\n");
        return 2;
    }
    char *end;
    long first = strtol(argv[2], &end, 10);
    if (*end || first < 0)
        return 2;
    long count = strtol(argv[3], &end, 10);
    if (*end || count < 1)
        return 2;
    if (make_dir(argv[1]))
        return 1;
    for (long k = first; k < first + count; k++)
        if (write_case(argv[1], (int)k))
            return 1;
    return 0;
}
