# Makes frame_communes.csv: a synthetic frame of the communes of the sample data for
# `sipas-collect sample` (docs/planning.md). Each district's communes (as many as the
# communes_total column of the sample) get lognormal populations (sdlog 0.6) scaled to the
# district's population in frame_district.csv, in whole people.
# Run from the repository root: Rscript surveys/sample/make_frame_communes.R
set.seed(2025)
districts <- read.csv("surveys/sample/frame_district.csv", stringsAsFactors = FALSE)
communes <- c(tp_lang_son = 8, trang_dinh = 22, van_lang = 17, van_quan = 17, binh_gia = 19,
              bac_son = 17, huu_lung = 24, chi_lang = 20, cao_loc = 22, loc_binh = 21, dinh_lap = 13)
rows <- list()
for (i in seq_len(nrow(districts))) {
  d <- districts$district[i]
  k <- communes[[d]]
  raw <- rlnorm(k, meanlog = 0, sdlog = 0.6)
  pop <- round(districts$population[i] * raw / sum(raw))
  pop[which.max(pop)] <- pop[which.max(pop)] + districts$population[i] - sum(pop)
  rows[[i]] <- data.frame(district = d, commune = sprintf("%s-commune-%02d", d, seq_len(k)),
                          population = pop)
}
write.csv(do.call(rbind, rows), "surveys/sample/frame_communes.csv", row.names = FALSE, quote = FALSE)
