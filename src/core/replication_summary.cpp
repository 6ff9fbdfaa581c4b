#include "core/replication_summary.hpp"

#include <algorithm>
#include <cmath>

#include "core/error.hpp"
#include "core/stats.hpp"

namespace revest {

std::size_t summary_block_columns(std::size_t num_tasks) {
  constexpr std::size_t kMaxColumns = 4096;
  constexpr std::size_t kMaxDoubles = std::size_t{1} << 22;  // 32 MiB per block
  const std::size_t by_memory = kMaxDoubles / std::max<std::size_t>(num_tasks, 1);
  return std::clamp<std::size_t>(by_memory, 1, kMaxColumns);
}

ReplicationColumnSummary summarize_replication_columns(ReplicationReader& reader,
                                                       std::size_t dataset, std::size_t num_columns,
                                                       double confidence,
                                                       std::size_t block_columns) {
  REVEST_REQUIRE(confidence > 0.0 && confidence < 1.0,
                 "summarize_replication_columns: confidence " << confidence << " not in (0, 1)");
  REVEST_REQUIRE(block_columns >= 1, "summarize_replication_columns: block of 0 columns");
  const std::size_t R = reader.num_tasks();
  const double p_lo = (1.0 - confidence) / 2.0, p_hi = (1.0 + confidence) / 2.0;
  ReplicationColumnSummary s;
  s.mean.resize(num_columns);
  s.se.resize(num_columns);
  s.lo.resize(num_columns);
  s.hi.resize(num_columns);
  s.n.resize(num_columns);
  // Columns are gathered a few at a time so that every cache line of the row-major block is used.
  constexpr std::size_t kGather = 8;
  std::vector<std::vector<double>> cols(kGather, std::vector<double>(R));
  std::vector<double> finite;
  finite.reserve(R);
  for (std::size_t c0 = 0; c0 < num_columns; c0 += block_columns) {
    const std::size_t c1 = std::min(num_columns, c0 + block_columns), w = c1 - c0;
    const std::vector<double> block = reader.read_columns(dataset, c0, c1);
    REVEST_REQUIRE(block.size() == R * w, "internal error: read_columns("
                                              << dataset << ", " << c0 << ", " << c1 << ") gave "
                                              << block.size() << " values, expected " << R * w);
    for (std::size_t g = 0; g < w; g += kGather) {
      const std::size_t ng = std::min(kGather, w - g);
      for (std::size_t r = 0; r < R; ++r)
        for (std::size_t c = 0; c < ng; ++c) cols[c][r] = block[r * w + g + c];
      for (std::size_t c = 0; c < ng; ++c) {
        const std::size_t f = c0 + g + c;
        // Drop NaN (failed replications) and sort once; stats::quantile then sorts sorted data.
        finite.clear();
        for (double v : cols[c])
          if (!std::isnan(v)) finite.push_back(v);
        std::sort(finite.begin(), finite.end());
        const stats::MeanSd ms = stats::mean_sd(finite);
        s.mean[f] = ms.mean;
        s.se[f] = ms.sd;
        s.n[f] = ms.n;
        s.lo[f] = stats::quantile(finite, p_lo);
        s.hi[f] = stats::quantile(finite, p_hi);
      }
    }
  }
  return s;
}

}  // namespace revest
