#pragma once
/// \file rng.hpp
/// \brief Counter-based random streams: one independent Philox4x32-10 stream per
/// (job seed, analysis, replication).
///
/// Results must not depend on how replications are split across MPI ranks, nor on a resume. So no
/// generator is ever shared between replications: replication r of analysis a draws from the stream
/// whose Philox key is the 64-bit job seed and whose counter holds (a, r) in its two high words; the
/// two low words count blocks within the stream (2^64 blocks of 4 x 32 bits; for_replication's
/// parts take the higher of them, leaving 2^32 blocks per part). Streams are therefore
/// reproducible from their key alone, in any order, on any rank.
///
/// Draw from it with Boost.Random distributions (their algorithms are fixed by Boost, unlike the
/// implementation-defined std:: distributions), e.g. boost::random::normal_distribution<double>.
///
/// \test tests/core/rng_test.cpp checks the Random123 known-answer vector, stream independence,
/// reproducibility and that the generator satisfies the UniformRandomBitGenerator concept.
#include <Random123/philox.h>

#include <array>
#include <cstdint>
#include <limits>
#include <string_view>

namespace revest {

/// Stable 32-bit identifier of an analysis (FNV-1a of its name). Used as part of the stream key so
/// that adding or reordering analyses in a job never changes another analysis's draws.
constexpr std::uint32_t stream_id(std::string_view name) {
  std::uint32_t h = 2166136261u;
  for (char c : name) {
    h ^= static_cast<std::uint8_t>(c);
    h *= 16777619u;
  }
  return h;
}

/// A UniformRandomBitGenerator producing 32-bit words from Philox4x32-10.
class Rng {
 public:
  using result_type = std::uint32_t;
  using Philox = r123::Philox4x32;

  /// The stream of replication `replication` of the analysis with id `analysis` under `seed`.
  Rng(std::uint64_t seed, std::uint32_t analysis, std::uint32_t replication) {
    key_ = {{static_cast<std::uint32_t>(seed), static_cast<std::uint32_t>(seed >> 32)}};
    ctr_ = {{0u, 0u, replication, analysis}};
  }
  Rng(std::uint64_t seed, std::string_view analysis, std::uint32_t replication)
      : Rng(seed, stream_id(analysis), replication) {}

  static constexpr result_type min() { return 0; }
  static constexpr result_type max() { return std::numeric_limits<result_type>::max(); }

  result_type operator()() {
    if (pos_ == 4) refill();
    return out_.v[pos_++];
  }

  /// Uniform double in (0, 1) with 53 random bits; never returns 0 or 1.
  double uniform01() {
    const std::uint64_t hi = (*this)() >> 5;  // 27 bits
    const std::uint64_t lo = (*this)() >> 6;  // 26 bits
    return (static_cast<double>((hi << 26) | lo) + 0.5) * (1.0 / 9007199254740992.0);
  }

  /// The stream of replication `replication` of the same seed and analysis, from its start. For
  /// an analysis whose runtime tasks each hold several replications (ESDA permutations): every
  /// replication then draws from its own stream, whatever the split into tasks. The task's own
  /// stream is (seed, analysis, task), so such an analysis derives streams only through this and
  /// never draws from the task's stream itself.
  ///
  /// `part` > 0 selects an independent part of that stream (for a replication that draws for
  /// several items, e.g. one part per ESDA combination, in any order): the part is the high word
  /// of the block counter, so each part holds 2^32 blocks (2^34 words) before it would run into
  /// the next. Part 0 is the replication's stream itself.
  Rng for_replication(std::uint32_t replication, std::uint32_t part = 0) const {
    Rng r(*this);
    r.ctr_ = {{0u, part, replication, ctr_.v[3]}};
    r.pos_ = 4;
    return r;
  }

  /// Number of 32-bit words drawn so far (for tests and diagnostics).
  std::uint64_t words_drawn() const {
    const std::uint64_t blocks = (static_cast<std::uint64_t>(ctr_.v[1]) << 32) | ctr_.v[0];
    return blocks * 4 - (4 - pos_);
  }

 private:
  void refill() {
    out_ = Philox()(ctr_, key_);
    if (++ctr_.v[0] == 0) ++ctr_.v[1];
    pos_ = 0;
  }

  Philox::key_type key_{};
  Philox::ctr_type ctr_{};
  Philox::ctr_type out_{};
  unsigned pos_ = 4;
};

/// The streams of one analysis (or of one estimation a user runs) under one seed: replication r
/// draws from stream(r), the same stream the job runtime gives task r of an analysis of that name.
/// A library bootstrap called with the same key and replication count therefore reproduces a job's
/// replications.
struct RngKey {
  std::uint64_t seed = 0;
  std::uint32_t analysis = 0;
  RngKey() = default;
  RngKey(std::uint64_t seed_, std::string_view analysis_name)
      : seed(seed_), analysis(stream_id(analysis_name)) {}
  Rng stream(std::uint32_t replication) const { return Rng(seed, analysis, replication); }
};

}  // namespace revest
