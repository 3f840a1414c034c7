# Synthetic, deterministic test data for org.dure.learning.estimation (no real patients).
# Four sites with different sizes, covariate distributions, outcome rates and baseline hazards (non-IID).
# Run from this directory:  Rscript make_data.R   (writes sites.csv; then run reference.R and multinomial.py)
set.seed(20261203)
sizes     <- c(70, 90, 110, 130)
age_mean  <- c(45, 55, 62, 70)
mark_mean <- c(-0.6, 0.0, 0.3, 0.8)
site_logit<- c(-0.8, 0.0, 0.4, 0.9)
site_lin  <- c(-3, 0, 2, 5)
site_haz  <- c(0.010, 0.020, 0.030, 0.045)
rows <- list()
for (s in 1:4) {
  n <- sizes[s]
  age    <- round(rnorm(n, age_mean[s], 9), 1)
  sex    <- rbinom(n, 1, c(0.35, 0.5, 0.55, 0.65)[s])
  marker <- round(rnorm(n, mark_mean[s], 1), 3)
  lp_bin <- -0.5 + site_logit[s] + 0.04 * (age - 60) + 0.5 * sex + 0.8 * marker
  y_bin  <- rbinom(n, 1, plogis(lp_bin))
  y_lin  <- round(2 + site_lin[s] + 0.3 * age - 1.5 * sex + 2 * marker + rnorm(n, 0, 3), 3)
  # three ordered classes low < mid < high; "low" is the reference
  e_mid  <- exp(-0.3 + 0.5 * site_logit[s] + 0.02 * (age - 60) + 0.4 * sex + 0.5 * marker)
  e_high <- exp(-1.0 + site_logit[s] + 0.05 * (age - 60) - 0.3 * sex + 1.0 * marker)
  u <- runif(n)
  p_low <- 1 / (1 + e_mid + e_high); p_mid <- e_mid / (1 + e_mid + e_high)
  y_cls <- ifelse(u < p_low, "low", ifelse(u < p_low + p_mid, "mid", "high"))
  # survival in whole months (many tied times), administrative + random censoring
  rate   <- site_haz[s] * exp(0.03 * (age - 60) + 0.4 * sex + 0.6 * marker)
  t_ev   <- rexp(n, rate)
  t_cen  <- pmin(runif(n, 6, 90), 60)
  time   <- pmax(1, ceiling(pmin(t_ev, t_cen)))
  event  <- as.integer(t_ev <= t_cen)
  rows[[s]] <- data.frame(site = paste0("site-", letters[s]), age = age, sex = sex, marker = marker,
                          y_bin = y_bin, y_lin = y_lin, y_cls = y_cls, time = time, event = event)
}
d <- do.call(rbind, rows)
write.csv(d, "sites.csv", row.names = FALSE, quote = FALSE)
cat("wrote sites.csv:", nrow(d), "rows\n")
