"""Pinned reference fits from R for the multinomial link model tests (CI has no R; these numbers are facts).

Provenance: R version 4.2.2 Patched (2022-11-10 r83330), Debian bookworm packages r-cran-vgam 1.1-7,
r-cran-mass 7.3-58.2, r-cran-ordinal 2022.11-16; generated 2026-11-25 by the script below (printed with
sprintf("%.12g")). VGAM standard errors use the expected information; clm's use the observed Hessian.

    data(pneumo); pneumo <- transform(pneumo, let = log(exposure.time))
    vglm(cbind(normal, mild, severe) ~ let, cumulative(parallel = TRUE), data = pneumo)            # PNEUMO_CUM_LOGIT_PO
    vglm(cbind(normal, mild, severe) ~ let, sratio(link = "probitlink", parallel = FALSE), pneumo) # PNEUMO_SRATIO_PROBIT_NPO
    vglm(cbind(normal, mild, severe) ~ let, cumulative(link = "clogloglink", parallel = FALSE), pneumo)
    vglm(cbind(normal, mild, severe) ~ let, acat(reverse = TRUE, parallel = TRUE), pneumo)
    vglm(cbind(normal, mild, severe) ~ let, multinomial(refLevel = 3), pneumo)
    tr <- data.frame(x = 1:4, y1..y5 = trauma counts)   # Chuang-Stein & Agresti (1997)
    vglm(cbind(y1,y2,y3,y4,y5) ~ x, sratio(link = "clogloglink", parallel = TRUE), tr)
    vglm(cbind(y1,y2,y3,y4,y5) ~ x, cumulative(link = "probitlink", parallel = FALSE ~ x), tr)
    data(housing)
    polr(Sat ~ Infl + Type + Cont, weights = Freq, data = housing, method = "cloglog")
    clm(Sat ~ Infl + Type + Cont, weights = Freq, data = housing, link = "cauchit")
    clm(Sat ~ Infl + Type + Cont, weights = Freq, data = housing, link = "loglog")

Coefficient order is VGAM's ((Intercept):1, (Intercept):2, ..., x or x:1, x:2, ...), which is ours.
polr / clm use logit P(Y <= j) = zeta_j - x'beta: ours = (zeta, -beta).
"""

R_VERSION = "R version 4.2.2 Patched (2022-11-10 r83330); VGAM 1.1.7; MASS 7.3.58.2; ordinal 2022.11.16"

PNEUMO_CUM_LOGIT_PO_COEF = [9.67609279737, 10.5817252811, -2.59680652518]
PNEUMO_CUM_LOGIT_PO_SE = [1.32407642053, 1.3454379002, 0.381101912027]
PNEUMO_CUM_LOGIT_PO_DEV = 5.02682641698
PNEUMO_SRATIO_PROBIT_NPO_COEF = [5.4704108371, 2.41281455601, -1.46189183264, -0.709630183418]
PNEUMO_SRATIO_PROBIT_NPO_SE = [0.735244500403, 1.63899493255, 0.214903971664, 0.461770136771]
PNEUMO_SRATIO_PROBIT_NPO_DEV = 3.62628310519
PNEUMO_CUM_CLOGLOG_NPO_COEF = [4.58382703354, 4.41971285294, -1.3128323034, -1.12396735148]
PNEUMO_CUM_CLOGLOG_NPO_SE = [0.707810187974, 0.786449582571, 0.212988890348, 0.230414031361]
PNEUMO_CUM_CLOGLOG_NPO_DEV = 3.16140336567
PNEUMO_ACAT_LOGIT_PO_COEF = [7.42928636474, 5.93303666348, -1.72556795553]
PNEUMO_ACAT_LOGIT_PO_SE = [0.877094251961, 0.990901268935, 0.258400013287]
PNEUMO_ACAT_LOGIT_PO_DEV = 7.0493184913
PNEUMO_BASELINE_LOGIT_NPO_COEF = [11.9750919873, 3.03906224978, -3.06746648796, -0.902093614311]
PNEUMO_BASELINE_LOGIT_NPO_DEV = 5.34738173578
TRAUMA_SRATIO_CLOGLOG_PO_COEF = [-1.06764778165, -1.97529884841, -0.600309089204, 0.188422088698, -0.0884565110739]
TRAUMA_SRATIO_CLOGLOG_PO_SE = [0.110506754215, 0.150821410378, 0.112227349507, 0.113426929431, 0.0351049859835]
TRAUMA_SRATIO_CLOGLOG_PO_DEV = 21.3726369137
TRAUMA_CUM_PROBIT_NPO_COEF = [-0.535846237881, -0.0642892171978, 0.440481790582, 1.13154626403, -0.0667550603528, -0.163644022446, -0.11370305264, -0.0657141547595]
TRAUMA_CUM_PROBIT_NPO_DEV = 3.77205243937
HOUSING_POLR_CLOGLOG_ZETA = [-0.796215673423, 0.0553671663304]
HOUSING_POLR_CLOGLOG_BETA = [0.382040719796, 0.915360891819, -0.407202367089, -0.280530620898, -0.74245279505, 0.209220825685]
HOUSING_POLR_CLOGLOG_LOGLIK = -1742.0265852
HOUSING_CLM_CAUCHIT_COEF = [-0.464461928922, 0.59901619024, 0.506226764182, 1.12551699959, -0.498637831823, -0.357801080141, -0.931435769522, 0.283201812472]
HOUSING_CLM_CAUCHIT_SE = [0.112258067018, 0.114060689835, 0.0943219787267, 0.118680033957, 0.108425213143, 0.135342266378, 0.13625641001, 0.0843587956135]
HOUSING_CLM_CAUCHIT_LOGLIK = -1742.16680844
# sum(Freq * log(pi)) at clm's cauchit estimates computed in R with pcauchy (P(Y <= j) = pcauchy(theta_j - x'b));
# clm's own logLik above differs from it by 0.0106 (added by the reviewer, same R session/versions)
HOUSING_CLM_CAUCHIT_LOGLIK_DIRECT = -1742.1562249322
HOUSING_CLM_LOGLOG_COEF = [0.0863878645908, 0.892210136948, 0.366997082943, 0.790324094264, -0.348737126207, -0.195730077771, -0.698126879316, 0.267957350056]
HOUSING_CLM_LOGLOG_LOGLIK = -1745.70483682

# Near-boundary cumulative npo probit data (paperworks.systems.multinomial_link.near_boundary_data(seed), m = 200,
# written to CSV as (y, x) and refitted in R; added by the fidelity reviewer 2026-11-26, same R versions):
#     vglm(y ~ x, cumulative(link = "probitlink", parallel = FALSE), data = d)     # VGAM
#     clm(y ~ 1, nominal = ~ x, data = d, link = "probit")                        # ordinal
# Coefficient order is ours ((Intercept):1, (Intercept):2, x:1, x:2; clm's nominal effects enter with + sign).
# VGAM returns negative fitted probabilities (logLik NaN, only "fitted values close to 0 or 1" warnings) on
# seeds 1, 4, 6; clm reports convergence (code 0) and a logLik summed over the OBSERVED categories only, at
# estimates where unobserved categories have negative probabilities on 1-13 training rows (seeds 2, 4-9).
NB_VGAM_INFEASIBLE_COEF = {
    1: [0.0986344155727, 0.308225873236, 0.807655319791, -0.665859336619],
    4: [-0.182978411758, -0.0076516073649, 0.695014982416, -0.674469315579],
    6: [-0.100743946372, 0.131173611554, 0.702635883969, -0.729819136478],
}
NB_VGAM_FEASIBLE_LOGLIK = {7: -89.91491697, 8: -71.12352164}      # VGAM feasible (on the boundary) here
NB_CLM_COEF = {
    4: [-0.271041986057, -0.0361488926843, 0.925747881211, -0.928826730968],
    8: [-0.206745913124, -0.199206985533, 1.0586663968, -2.29535470201],
}
NB_CLM_LOGLIK = {4: -119.7733583, 8: -69.46802824}
