# Pooled reference fits for org.dure.learning.estimation, on the union of the four sites in sites.csv.
# Run from this directory:  Rscript reference.R   (writes reference-r.json)
# Debian: apt-get install r-base-core r-cran-survival  (made with R 4.2.2, survival 3.5-3)
library(survival)
d <- read.csv("sites.csv", stringsAsFactors = FALSE)
num <- function(x) sprintf("%.17g", x)
vec <- function(x) paste0("[", paste(num(x), collapse = ", "), "]")
strs <- function(x) paste0("[", paste0('"', x, '"', collapse = ", "), "]")
entry <- function(name, names, est, se, extra) {
  paste0('  "', name, '": {\n    "names": ', strs(names), ',\n    "estimate": ', vec(est),
         ',\n    "standardError": ', vec(se), extra, '\n  }')
}
out <- character()

tight <- glm.control(epsilon = 1e-14, maxit = 100)
g <- glm(y_bin ~ age + sex + marker, family = binomial, data = d, control = tight)
sg <- summary(g)$coefficients
out <- c(out, entry("logistic", c("(intercept)", "age", "sex", "marker"), sg[, 1], sg[, 2],
  paste0(',\n    "logLik": ', num(as.numeric(logLik(g))), ',\n    "iterations": ', g$iter)))

l <- lm(y_lin ~ age + sex + marker, data = d)
sl <- summary(l)
out <- c(out, entry("linear", c("(intercept)", "age", "sex", "marker"), sl$coefficients[, 1], sl$coefficients[, 2],
  paste0(',\n    "residualStandardError": ', num(sl$sigma), ',\n    "residualDf": ', l$df.residual)))

for (ties in c("efron", "breslow")) {
  cx <- coxph(Surv(time, event) ~ age + sex + marker + strata(site), data = d, ties = ties,
              control = coxph.control(eps = 1e-14, toler.chol = 1e-15, iter.max = 100))
  out <- c(out, entry(paste0("cox_", ties), c("age", "sex", "marker"), coef(cx), sqrt(diag(vcov(cx))),
    paste0(',\n    "logLik": ', num(cx$loglik[2]), ',\n    "iterations": ', cx$iter)))
}
writeLines(c("{", paste(out, collapse = ",\n"), "}"), "reference-r.json")
cat("wrote reference-r.json\n")
