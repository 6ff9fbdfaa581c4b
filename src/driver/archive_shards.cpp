#include "driver/archive_shards.hpp"

#include <numeric>

#include "driver/archive_layout.hpp"

#include <algorithm>
#include <exception>

#include "core/error.hpp"

namespace revest::driver {

ShardSpec archive_shard(hid_t f) {
  ShardSpec s;
  if (h5::has_attr(f, "shard_count")) {
    s.index = static_cast<int>(h5::attr_int(f, "shard_index"));
    s.count = static_cast<int>(h5::attr_int(f, "shard_count"));
  }
  return s;
}

std::vector<std::size_t> shard_tasks(std::size_t n, ShardSpec s) {
  const std::size_t K = static_cast<std::size_t>(std::max(1, s.count)),
                    k = static_cast<std::size_t>(s.index);
  std::vector<std::size_t> out;
  for (std::size_t t = n * k / K; t < n * (k + 1) / K; ++t) out.push_back(t);
  return out;
}

std::filesystem::path shard_path(const std::filesystem::path& output, ShardSpec s) {
  if (!s.sharded()) return output;
  std::filesystem::path p = output;
  const std::string ext = p.has_extension() ? p.extension().string() : std::string(".h5");
  p.replace_filename(output.stem().string() + ".shard-" + std::to_string(s.index) + "-of-" +
                     std::to_string(s.count) + ext);
  return p;
}

std::filesystem::path replacement_path(const std::filesystem::path& output) {
  return output.string() + ".new";
}

ShardSpec parse_shard(const std::string& text) {
  ShardSpec s;
  const auto slash = text.find('/');
  bool ok = slash != std::string::npos && slash > 0 && slash + 1 < text.size();
  if (ok) {
    try {
      std::size_t a = 0, b = 0;
      s.index = std::stoi(text.substr(0, slash), &a);
      s.count = std::stoi(text.substr(slash + 1), &b);
      ok = a == slash && b == text.size() - slash - 1;
    } catch (const std::exception&) {
      ok = false;
    }
  }
  REVEST_REQUIRE(
      ok && s.count >= 1 && s.index >= 0 && s.index < s.count,
      "--shard '" << text << "': expected K/N with 0 <= K < N (e.g. 2/4, the SLURM array index)");
  return s;
}

std::vector<std::size_t> shard_tasks(const AnalysisLayout& layout, ShardSpec s) {
  if (!layout.two_phase() || !s.sharded()) return shard_tasks(layout.num_tasks, s);
  if (s.index != 0) return {};
  std::vector<std::size_t> all(layout.num_tasks);
  std::iota(all.begin(), all.end(), std::size_t{0});
  return all;
}

}  // namespace revest::driver
