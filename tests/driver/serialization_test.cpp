// Round trip through Boost text and binary archives of everything rank 0 broadcasts (the job's
// settings and typed options, Inputs, InputFile lists, pending-task lists): what arrives must equal
// what was sent.
#include <gtest/gtest.h>

#include <boost/archive/binary_iarchive.hpp>
#include <boost/archive/binary_oarchive.hpp>
#include <boost/archive/text_iarchive.hpp>
#include <boost/archive/text_oarchive.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "analyses/options_serialization.hpp"
#include "driver/analyses.hpp"
#include "driver/archive.hpp"
#include "driver/runtime.hpp"

using namespace revest;
using namespace revest::driver;

namespace {
template <class OA, class IA, class T>
T round_trip(const T& in) {
  std::stringstream ss;
  {
    OA oa(ss);
    oa << in;
  }
  T out;
  IA ia(ss);
  ia >> out;
  return out;
}

const LoadedJob& smoke() {
  static const LoadedJob L = load_and_validate(REVEST_SOURCE_DIR "/jobs/smoke.toml",
                                               REVEST_SOURCE_DIR "/config/defaults.toml");
  return L;
}
}  // namespace

TEST(Serialization, InputsTextAndBinary) {
  const Inputs& in = smoke().inputs;
  ASSERT_EQ(in.geo.size(), 512u);
  for (int mode = 0; mode < 2; ++mode) {
    const Inputs out =
        mode == 0
            ? round_trip<boost::archive::text_oarchive, boost::archive::text_iarchive>(in)
            : round_trip<boost::archive::binary_oarchive, boost::archive::binary_iarchive>(in);
    EXPECT_TRUE(out.geo == in.geo);
    EXPECT_TRUE(out.panel == in.panel);
    EXPECT_TRUE(out.indicators == in.indicators);
    // The look-up index is rebuilt on load: old and new codes resolve.
    EXPECT_EQ(out.geo.index_of(500228), in.geo.index_of(500228));
    EXPECT_EQ(out.geo.index_of(500155), in.geo.index_of(500155));
    EXPECT_TRUE(out.geo.index_of(500155).has_value());
  }
}

TEST(Serialization, InputFilesAndPendingTasks) {
  const auto& files = smoke().files;
  ASSERT_FALSE(files.empty());
  EXPECT_EQ(files[0].sha256.size(), 64u);
  auto f2 = round_trip<boost::archive::binary_oarchive, boost::archive::binary_iarchive>(files);
  ASSERT_EQ(f2.size(), files.size());
  for (std::size_t k = 0; k < files.size(); ++k) {
    EXPECT_EQ(f2[k].path, files[k].path);
    EXPECT_EQ(f2[k].sha256, files[k].sha256);
  }
  std::vector<std::vector<std::size_t>> pending = {{0, 5, 9}, {}, {1}};
  EXPECT_EQ((round_trip<boost::archive::text_oarchive, boost::archive::text_iarchive>(pending)),
            pending);
}

TEST(Serialization, JobAndTypedOptionsAsBroadcast) {
  // What rank 0 broadcasts of a job: its settings and each analysis's typed options (not its TOML).
  const LoadedJob& L = smoke();
  ASSERT_EQ(L.specs.size(), L.job.analyses.size());
  io::Job settings = L.job;
  settings.analyses.clear();
  for (int mode = 0; mode < 2; ++mode) {
    const io::Job job =
        mode == 0
            ? round_trip<boost::archive::text_oarchive, boost::archive::text_iarchive>(L.job)
            : round_trip<boost::archive::binary_oarchive, boost::archive::binary_iarchive>(L.job);
    EXPECT_TRUE(job == settings);
    const auto specs =
        mode == 0
            ? round_trip<boost::archive::text_oarchive, boost::archive::text_iarchive>(L.specs)
            : round_trip<boost::archive::binary_oarchive, boost::archive::binary_iarchive>(L.specs);
    EXPECT_TRUE(specs == L.specs);
    // The analyses built from the received options have the same tasks and datasets.
    for (std::size_t k = 0; k < specs.size(); ++k) {
      auto a = make_analysis(L.specs[k], L.inputs);
      auto b = make_analysis(specs[k], L.inputs);
      EXPECT_EQ(a->name(), b->name());
      EXPECT_EQ(a->kind(), b->kind());
      EXPECT_EQ(a->num_tasks(), b->num_tasks());
      EXPECT_EQ(a->replication_specs().size(), b->replication_specs().size());
    }
  }
}

TEST(Sha256, KnownDigest) {
  // SHA-256("abc") = ba7816bf... (FIPS 180-2, appendix B.1).
  const std::string p = REVEST_BINARY_DIR "/test-output/sha_abc.txt";
  std::filesystem::create_directories(REVEST_BINARY_DIR "/test-output");
  std::ofstream(p, std::ios::binary) << "abc";
  EXPECT_EQ(sha256_file(p), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}
