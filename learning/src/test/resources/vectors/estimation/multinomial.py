"""Pooled multinomial-logistic reference fit for org.dure.learning.estimation, on the union of sites.csv.

Run from this directory with Debian's Python:  /usr/bin/python3 multinomial.py   (writes reference-multinomial.json;
"covariance" is the upper triangle of cov_params(), row by row)
Debian: apt-get install python3-statsmodels  (made with statsmodels 0.13.5, numpy 1.24.2, pandas 1.5.3)
Classes in the study's order low < mid < high; "low" (the first) is the reference class.
"""
import json

import numpy as np
import pandas as pd
import statsmodels.api as sm

CLASSES = ["low", "mid", "high"]
COVARIATES = ["age", "sex", "marker"]

d = pd.read_csv("sites.csv")
y = d["y_cls"].map({c: i for i, c in enumerate(CLASSES)}).to_numpy()
x = sm.add_constant(d[COVARIATES].to_numpy(dtype=float), prepend=True)
fit = sm.MNLogit(y, x).fit(method="newton", tol=1e-14, maxiter=100, disp=False)
names = ["(intercept)"] + COVARIATES
# statsmodels: params[j, k-1] for covariate j and class k (k >= 1); flatten class-major, as Dure lays them out
estimate = [float(fit.params[j, k]) for k in range(len(CLASSES) - 1) for j in range(len(names))]
se = [float(fit.bse[j, k]) for k in range(len(CLASSES) - 1) for j in range(len(names))]
# cov_params() is ordered as params flattened column by column (class-major), the same order; check it on the SEs
cov = np.asarray(fit.cov_params())
assert np.allclose(np.sqrt(np.diag(cov)), se, rtol=1e-12, atol=0)
covariance = [float(cov[i, j]) for i in range(cov.shape[0]) for j in range(i, cov.shape[1])]
out = {"multinomial": {
    "classes": CLASSES,
    "names": [f"{c}:{n}" for c in CLASSES[1:] for n in names],
    "estimate": estimate,
    "standardError": se,
    "covariance": covariance,
    "logLik": float(fit.llf),
    "iterations": int(fit.mle_retvals["iterations"]),
    "converged": bool(fit.mle_retvals["converged"]),
}}
with open("reference-multinomial.json", "w") as f:
    json.dump(out, f, indent=2)
    f.write("\n")
print("wrote reference-multinomial.json")
