# Pooled reference fits for org.dure.learning.estimation, on the union of the four sites in sites.csv.
# Run from this directory:  Rscript reference.R   (writes reference-r.json; "covariance" is vcov's upper triangle row by row)
# Debian: apt-get install r-base-core r-cran-survival  (made with R 4.2.2, survival 3.5-3)
library(survival)
d <- read.csv("sites.csv", stringsAsFactors = FALSE)
num <- function(x) sprintf("%.17g", x)
vec <- function(x) paste0("[", paste(num(x), collapse = ", "), "]")
strs <- function(x) paste0("[", paste0('"', x, '"', collapse = ", "), "]")
upper <- function(m) unlist(lapply(seq_len(nrow(m)), function(i) m[i, i:ncol(m)]))
entry <- function(name, names, table, ci, extra) {
  paste0('  "', name, '": {\n    "names": ', strs(names), ',\n    "estimate": ', vec(table[, 1]),
         ',\n    "standardError": ', vec(table[, 2]), ',\n    "statistic": ', vec(table[, 3]),
         ',\n    "pValue": ', vec(table[, 4]), ',\n    "lower95": ', vec(ci[, 1]), ',\n    "upper95": ', vec(ci[, 2]),
         extra, '\n  }')
}
out <- character()

tight <- glm.control(epsilon = 1e-14, maxit = 100)
g <- glm(y_bin ~ age + sex + marker, family = binomial, data = d, control = tight)
sg <- summary(g)$coefficients
# Wald intervals (estimate +- z * SE), as Dure reports them
out <- c(out, entry("logistic", c("(intercept)", "age", "sex", "marker"), sg, confint.default(g),
  paste0(',\n    "covariance": ', vec(upper(vcov(g))), ',\n    "logLik": ', num(as.numeric(logLik(g))), ',\n    "iterations": ', g$iter)))

l <- lm(y_lin ~ age + sex + marker, data = d)
sl <- summary(l)
# t statistics and t intervals on the residual degrees of freedom
out <- c(out, entry("linear", c("(intercept)", "age", "sex", "marker"), sl$coefficients, confint(l),
  paste0(',\n    "covariance": ', vec(upper(vcov(l))), ',\n    "residualStandardError": ', num(sl$sigma), ',\n    "residualDf": ', l$df.residual)))

for (ties in c("efron", "breslow")) {
  cx <- coxph(Surv(time, event) ~ age + sex + marker + strata(site), data = d, ties = ties,
              control = coxph.control(eps = 1e-14, toler.chol = 1e-15, iter.max = 100))
  sc <- summary(cx)$coefficients[, c("coef", "se(coef)", "z", "Pr(>|z|)")]
  out <- c(out, entry(paste0("cox_", ties), c("age", "sex", "marker"), sc, confint(cx),
    paste0(',\n    "covariance": ', vec(upper(vcov(cx))), ',\n    "logLik": ', num(cx$loglik[2]), ',\n    "iterations": ', cx$iter)))
}
writeLines(c("{", paste(out, collapse = ",\n"), "}"), "reference-r.json")
cat("wrote reference-r.json\n")
