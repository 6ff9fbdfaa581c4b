#include "driver/progress.hpp"

#include <unistd.h>

#include <cmath>

namespace revest::driver {

Progress::Progress(std::string label, std::size_t total, std::size_t done, double interval_seconds,
                   bool enabled, std::FILE* out)
    : label_(std::move(label)),
      total_(total),
      start_done_(done),
      done_(done),
      interval_(interval_seconds),
      enabled_(enabled),
      tty_(isatty(fileno(out)) != 0),
      out_(out),
      t0_(std::chrono::steady_clock::now()),
      last_(t0_) {
  if (enabled_ && !tty_)
    std::fprintf(
        out_, "[revest] %s: %zu tasks%s\n", label_.c_str(), total_,
        done > 0 ? (" (" + std::to_string(done) + " already done, resuming)").c_str() : "");
}

std::string Progress::format_seconds(double s) {
  char buf[32];
  if (!std::isfinite(s) || s < 0) return "?";
  if (s >= 3600)
    std::snprintf(buf, sizeof buf, "%dh%02dm", int(s / 3600), int(std::fmod(s, 3600) / 60));
  else if (s >= 60)
    std::snprintf(buf, sizeof buf, "%dm%02ds", int(s / 60), int(std::fmod(s, 60)));
  else
    std::snprintf(buf, sizeof buf, "%.1fs", s);
  return buf;
}

void Progress::update(std::size_t done, std::size_t failed) {
  done_ = done;
  failed_ = failed;
  if (!enabled_) return;
  const auto now = std::chrono::steady_clock::now();
  const double since = std::chrono::duration<double>(now - last_).count();
  if (done_ >= total_) return;  // finish() prints the final line
  if (tty_ || since >= interval_) {
    print(false);
    last_ = now;
  }
}

void Progress::print(bool final) {
  const double el = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0_).count();
  const double new_done = static_cast<double>(done_ - start_done_);
  const double rate = el > 0 ? new_done / el : 0.0;
  const double eta = rate > 0 ? static_cast<double>(total_ - done_) / rate : NAN;
  const double frac = total_ ? static_cast<double>(done_) / static_cast<double>(total_) : 1.0;
  std::string fail = failed_ ? ", " + std::to_string(failed_) + " failed" : "";
  if (tty_) {
    const int width = 30;
    const int fill = static_cast<int>(frac * width);
    std::string bar(static_cast<std::size_t>(fill), '#');
    bar.resize(width, '.');
    std::fprintf(out_, "\r%s [%s] %5.1f%% %zu/%zu  %.1f tasks/s  ETA %s%s   ", label_.c_str(),
                 bar.c_str(), 100 * frac, done_, total_, rate,
                 final ? "0s" : format_seconds(eta).c_str(), fail.c_str());
    if (final) std::fprintf(out_, "\n");
  } else {
    std::fprintf(out_, "[revest] %s: %zu/%zu tasks (%.1f%%), %.1f tasks/s, elapsed %s, ETA %s%s\n",
                 label_.c_str(), done_, total_, 100 * frac, rate, format_seconds(el).c_str(),
                 final ? "0s" : format_seconds(eta).c_str(), fail.c_str());
  }
  std::fflush(out_);
}

void Progress::finish() {
  if (enabled_) print(true);
}

}  // namespace revest::driver
