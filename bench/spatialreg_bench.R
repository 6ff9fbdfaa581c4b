# Peer timings for bench/spatial.sh: R spatialreg / spdep on the data that revest uses.
#   Rscript bench/spatialreg_bench.R sar DIR METHOD [symmetric]   lagsarlm(y ~ x1 + x2)
#   Rscript bench/spatialreg_bench.R counties DIR                 lagsarlm(method = "eigen") + impacts(R = 1000)
#   Rscript bench/spatialreg_bench.R moran DIR NSIM [symmetric]   moran.mc
# DIR holds data.csv (y, x1, x2) and neighbours.csv (from, to; 1-based). Prints one line with the
# elapsed seconds (fastest of 3 runs) and the estimates, for comparison with bench_spatial.
suppressMessages({library(spdep); library(spatialreg)})
a <- commandArgs(TRUE)
cmd <- a[1]; dir <- a[2]
d <- read.csv(file.path(dir, "data.csv")); e <- read.csv(file.path(dir, "neighbours.csv"))
n <- nrow(d)
nb <- split(e$to, factor(e$from, levels = 1:n)); nb <- lapply(nb, as.integer)
class(nb) <- "nb"; attr(nb, "region.id") <- as.character(1:n); attr(nb, "sym") <- FALSE
if ("symmetric" %in% a) nb <- make.sym.nb(nb)
lw <- nb2listw(nb, style = "W")
best <- function(expr) { t <- Inf; for (i in 1:3) t <- min(t, system.time(eval.parent(substitute(expr)))[["elapsed"]]); t }
if (cmd == "sar") {
  method <- a[3]
  t <- best(m <- lagsarlm(y ~ x1 + x2, d, lw, method = method))
  cat(sprintf("R_s=%.3f rho=%.6f se=%.6f LL=%.4f\n", t, m$rho, m$rho.se, m$LL))
} else if (cmd == "counties") {
  set.seed(1)
  t <- best({m <- lagsarlm(y ~ x1 + x2, d, lw, method = "eigen"); im <- impacts(m, listw = lw, R = 1000)})
  s <- summary(im, zstats = TRUE)
  cat(sprintf("R_s=%.3f rho=%.6f se=%.6f total_x1=%.4f\n", t, m$rho, m$rho.se, s$res$total[1]))
} else if (cmd == "moran") {
  set.seed(1)
  t <- best(mc <- moran.mc(d$y, lw, nsim = as.integer(a[3])))
  cat(sprintf("R_s=%.3f I=%.6f p=%.4f\n", t, mc$statistic, mc$p.value))
}
