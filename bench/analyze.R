# bench/analyze.R - R's side of bench/analyze.sh: what `sipas-analyze index --by district
# --format csv` computes (criterion, element and overall indices with logit CIs, SE, df and deff,
# by district x wave), with survey 4.1.1, end to end: reading the data is included.
#
#   Rscript bench/analyze.R csv    FILE.csv  OUT.csv   read the CSV batch (data.table::fread)
#   Rscript bench/analyze.R sqlite STORE.db  OUT.csv   read the sipas store (RSQLite), as
#                                                     sipas-analyze does
# The surveys directory is taken from SIPAS_SURVEYS (default: surveys/ beside bench/).
# Writes OUT.csv in the layout of tests/fixtures/index/expected.csv (case "bench") and the time of
# each phase to standard error.
#
# The same calls as tests/fixtures/index/make_index_fixtures.R (which checks them against sipas):
#   criterion  svyby(~y, ~wave+district, design[valid, ], svyciprop, vartype=c("se","ci")) and
#              svyby(..., svymean, deff=TRUE); df = degf() of each domain's valid answers
#   composites per domain svyratio(~y_1+..., ~v_1+..., design[domain, ], covmat=TRUE) (all
#              numerator x denominator pairs: svyratio has no paired form) then svycontrast
suppressMessages({ library(survey); library(data.table) })
stopifnot(packageVersion("survey") == "4.1.1")
options(survey.lonely.psu = "fail", survey.adjust.domain.lonely = FALSE)

args <- commandArgs(trailingOnly = TRUE)
stopifnot(length(args) == 3, args[1] %in% c("csv", "sqlite"))
script_dir <- dirname(normalizePath(sub("^--file=", "", grep("^--file=", commandArgs(), value = TRUE))))
surveys <- Sys.getenv("SIPAS_SURVEYS", file.path(script_dir, "..", "surveys"))
level <- 0.95
alpha <- 1 - level
t0 <- proc.time()[["elapsed"]]
phase <- function(what) {
  t <- proc.time()[["elapsed"]]
  message(sprintf("%-28s %8.2f s", what, t - t0))
  t0 <<- t
}

inst <- read.csv(file.path(surveys, "sipas2017/survey.csv"), stringsAsFactors = FALSE)
elements <- read.csv(file.path(surveys, "sipas2017/elements.csv"), stringsAsFactors = FALSE)
crit <- inst[inst$role == "criterion", c("name", "element")]

if (args[1] == "csv") {
  d <- as.data.frame(fread(args[2], na.strings = "", colClasses = list(character = c("respondent_id",
                     "commune", "district"))))
} else {
  suppressMessages(library(DBI))
  con <- dbConnect(RSQLite::SQLite(), args[2], flags = RSQLite::SQLITE_RO)
  d <- dbGetQuery(con, "SELECT * FROM responses_sipas2017")
  dbDisconnect(con)
}
phase(sprintf("read %d rows (%s)", nrow(d), args[1]))

for (c in crit$name) {
  d[[paste0("y_", c)]] <- as.numeric(d[[c]] %in% 4:5)
  d[[paste0("v_", c)]] <- as.numeric(d[[c]] %in% 1:5)
}
d$domain <- paste(d$wave, d$district, sep = "|")
des <- svydesign(id = ~commune, strata = ~interaction(wave, district), weights = ~weight,
                 fpc = ~communes_total, nest = TRUE, data = d)
phase("design")

f17 <- function(v) ifelse(is.na(v) | !is.finite(v), "", sprintf("%.17g", v))
out <- list()
emit <- function(domain, measure, lvl, est, se, ci, df, deff) {
  stopifnot(length(c(est, se, ci[1], ci[2], df, deff)) == 6)
  out[[length(out) + 1]] <<- c("bench", domain, measure, lvl, f17(c(est, se, ci[1], ci[2], df, deff)))
}

crit_rows <- list()
for (c in crit$name) {
  y <- paste0("y_", c); v <- paste0("v_", c)
  valid <- d[[v]] == 1
  sub <- des[valid, ]
  yf <- as.formula(paste0("~", y))
  sb <- svyby(yf, ~wave + district, sub, svyciprop, vartype = c("se", "ci"), level = level)
  mb <- svyby(yf, ~wave + district, sub, svymean, deff = TRUE)
  keys <- paste(sb$wave, sb$district, sep = "|")
  mkeys <- paste(mb$wave, mb$district, sep = "|")
  for (r in seq_len(nrow(sb))) {
    k <- keys[r]
    mr <- match(k, mkeys)
    df <- degf(des[valid & d$domain == k, ])
    crit_rows[[paste(k, c)]] <- list(p = mb[mr, y], se = sb[r, grep("^se", names(sb))], ci = c(sb[r, "ci_l"], sb[r, "ci_u"]),
                                     df = df, deff = mb[mr, grep("^DEff", names(mb))])
  }
}
phase("criteria (svyby x 22)")

num <- as.formula(paste("~", paste0("y_", crit$name, collapse = "+")))
den <- as.formula(paste("~", paste0("v_", crit$name, collapse = "+")))
pos_names <- paste0("y_", crit$name, "/v_", crit$name)
wsum <- sum(elements$weight)
for (k in sort(unique(d$domain))) {
  dd <- des[d$domain == k, ]
  rat <- svyratio(num, den, dd, covmat = TRUE)
  pos <- match(pos_names, names(coef(rat)))
  contr <- list()
  for (e in elements$name) {
    cv <- rep(0, length(coef(rat)))
    m <- which(crit$element == e)
    cv[pos[m]] <- 1 / length(m)
    contr[[e]] <- cv
  }
  contr[["overall"]] <- Reduce(`+`, Map(function(e, w) w / wsum * contr[[e]], elements$name, elements$weight))
  sc <- svycontrast(rat, contr)
  est <- coef(sc); V <- diag(vcov(sc)); df <- degf(dd)
  t <- qt(1 - alpha / 2, df)
  logit_ci <- function(p, V) plogis(qlogis(p) + c(-1, 1) * t * sqrt(V) / (p * (1 - p)))
  emit(k, "overall", "overall", est[["overall"]], sqrt(V[["overall"]]), logit_ci(est[["overall"]], V[["overall"]]), df, NA)
  for (e in elements$name) {
    emit(k, e, "element", est[[e]], sqrt(V[[e]]), logit_ci(est[[e]], V[[e]]), df, NA)
    for (c in crit$name[crit$element == e]) {
      r <- crit_rows[[paste(k, c)]]
      emit(k, c, "criterion", r$p, r$se, r$ci, r$df, r$deff)
    }
  }
}
phase("elements, overall")

res <- do.call(rbind, out)
colnames(res) <- c("case", "domain", "measure", "level", "estimate", "se", "ci_low", "ci_high", "df", "deff")
write.csv(res, args[3], row.names = FALSE, quote = FALSE)
phase(sprintf("write %d rows", nrow(res)))
