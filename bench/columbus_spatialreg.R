# How close R spatialreg itself comes to the 74 documented Columbus ML estimates
# (tests/spatial/data/columbus/documented_estimates.csv), with its default settings, counted as
# the revest test ColumbusTest.AllSeventyFourDocumentedEstimatesToPrintedPrecision counts them:
# within half a unit of the last printed decimal, and within one unit.
# Usage: Rscript bench/columbus_spatialreg.R [path to tests/spatial/data/columbus]
suppressMessages({library(spdep); library(spatialreg)})
args <- commandArgs(trailingOnly = TRUE)
dir <- if (length(args) >= 1) args[1] else "tests/spatial/data/columbus"
d <- read.csv(file.path(dir, "columbus.csv"))
e <- read.csv(file.path(dir, "columbus_anselin_edges.csv"))
doc <- read.csv(file.path(dir, "documented_estimates.csv"), comment.char = "#")
n <- nrow(d)
nb <- lapply(seq_len(n), function(i) as.integer(e$to[e$from == i - 1] + 1))
class(nb) <- "nb"
attr(nb, "region.id") <- as.character(seq_len(n))
lw <- nb2listw(nb)
f <- CRIME ~ INC + HOVAL
fits <- list(SAR = lagsarlm(f, d, lw), SEM = errorsarlm(f, d, lw),
             SDM = lagsarlm(f, d, lw, Durbin = TRUE), SDEM = errorsarlm(f, d, lw, Durbin = TRUE),
             SAC = sacsarlm(f, d, lw))
imp <- list(SAR_impacts_exact = impacts(fits$SAR, listw = lw),
            SAC_impacts_trace = impacts(fits$SAC, tr = trW(as(lw, "CsparseMatrix"), type = "mult")))
value <- function(model, q) {
  if (grepl("impacts", model)) {
    im <- imp[[model]]
    v <- strsplit(q, ".", fixed = TRUE)[[1]]
    k <- match(v[1], attr(im, "bnames"))
    return(switch(v[2], direct = im$direct[k], indirect = im$indirect[k], total = im$total[k]))
  }
  m <- fits[[model]]
  s <- summary(m)
  if (q %in% rownames(s$Coef)) return(s$Coef[q, 1])
  if (grepl("^se\\(", q)) return(s$Coef[sub("^se\\((.*)\\)$", "\\1", q), 2])
  switch(q, rho = m$rho, rho_se = m$rho.se, lambda = m$lambda, lambda_se = m$lambda.se,
         loglik = m$LL, sigma2 = m$s2, aic = AIC(m), LR_stat = s$LR1$statistic,
         Wald_stat = s$Wald1$statistic, LM_resid_autocorr = m$LMtest, NA)
}
half <- 0
one <- 0
for (i in seq_len(nrow(doc))) {
  v <- value(doc$model[i], doc$quantity[i])
  unit <- 10^(-doc$printed_decimals[i]) * (1 + 1e-9)
  dev <- abs(v - doc$value[i])
  if (dev <= 0.5 * unit) {
    half <- half + 1
  } else {
    cat(sprintf("  not within half a unit: %s %s R %.10g documented %.10g (%.2f units)\n",
                doc$model[i], doc$quantity[i], v, doc$value[i], dev / unit))
  }
  if (dev <= unit) one <- one + 1
}
cat(sprintf("R %s.%s spatialreg %s, default settings: %d of %d within half a unit, %d within one unit\n",
            R.version$major, R.version$minor, as.character(packageVersion("spatialreg")), half,
            nrow(doc), one))
