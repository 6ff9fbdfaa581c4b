// Peer benchmark (not a test): QuantLib's MCAmericanEngine (Longstaff-Schwartz) on the same put as
// bench/realopt_bench.cpp: S = 36, K = 40, r = 0.06, sigma = 0.2, T = 1 year, 50 exercise dates,
// Laguerre order 3, antithetic, `paths` calibration + `paths` pricing paths. Built only when
// QuantLib is installed (bench/install-peers). Fastest of 3 runs.
//   build/bench/bench_quantlib_lsm [paths]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ql/exercise.hpp>
#include <ql/instruments/vanillaoption.hpp>
#include <ql/pricingengines/vanilla/mcamericanengine.hpp>
#include <ql/processes/blackscholesprocess.hpp>
#include <ql/quotes/simplequote.hpp>
#include <ql/settings.hpp>
#include <ql/termstructures/volatility/equityfx/blackconstantvol.hpp>
#include <ql/termstructures/yield/flatforward.hpp>
#include <ql/time/calendars/nullcalendar.hpp>
#include <ql/time/daycounters/actual365fixed.hpp>

using namespace QuantLib;

int main(int argc, char** argv) {
  const Size paths = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 100000;
  const Date today(15, May, 2026);
  Settings::instance().evaluationDate() = today;
  const DayCounter dc = Actual365Fixed();
  auto spot = ext::make_shared<SimpleQuote>(36.0);
  Handle<YieldTermStructure> r(ext::make_shared<FlatForward>(today, 0.06, dc));
  Handle<YieldTermStructure> q(ext::make_shared<FlatForward>(today, 0.0, dc));
  Handle<BlackVolTermStructure> vol(
      ext::make_shared<BlackConstantVol>(today, NullCalendar(), 0.2, dc));
  auto process = ext::make_shared<BlackScholesMertonProcess>(Handle<Quote>(spot), q, r, vol);
  VanillaOption option(ext::make_shared<PlainVanillaPayoff>(Option::Put, 40.0),
                       ext::make_shared<AmericanExercise>(today, today + 365));
  double best = 1e300, value = 0, err = 0;
  for (int rep = 0; rep < 3; ++rep) {
    option.setPricingEngine(MakeMCAmericanEngine<PseudoRandom>(process)
                                .withSteps(50)
                                .withAntitheticVariate()
                                .withSamples(paths)
                                .withCalibrationSamples(paths)
                                .withPolynomialOrder(3)
                                .withBasisSystem(LsmBasisSystem::Laguerre)
                                .withSeed(42 + rep));
    const auto t0 = std::chrono::steady_clock::now();
    value = option.NPV();
    err = option.errorEstimate();
    best = std::min(best,
                    std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  const double steps = 2.0 * double(paths) * 50;
  std::printf(
      "quantlib_put seconds=%.4f path_steps=%.0f rate_M=%.2f value=%.4f se=%.4f fd=4.4778\n", best,
      steps, steps / best / 1e6, value, err);
}
