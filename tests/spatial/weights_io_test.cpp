// Weights files (src/spatial/weights_io.hpp): GeoDa .gal / .gwt, CSV edge lists and Matrix
// Market. Known truth: Anselin's Columbus neighbour list (tests/spatial/data/columbus, 232 directed
// links, as spdep's col.gal.nb) read as an edge list gives the same matrix as the tests' own
// reader; every format written and read back gives the same matrix bit for bit; small hand-written
// files give the matrices written in the test; bad files give errors naming the line.
#include "spatial/weights_io.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "columbus.hpp"
#include "test_support.hpp"

namespace revest::spatial {
namespace {

std::string slurp(const std::string& file) {
  std::ifstream in(std::string(REVEST_SOURCE_DIR) + "/tests/spatial/data/columbus/" + file);
  std::ostringstream os;
  os << in.rdbuf();
  return os.str();
}

std::vector<std::string> numbered(std::size_t n, const std::string& prefix = "") {
  std::vector<std::string> ids;
  for (std::size_t i = 0; i < n; ++i) ids.push_back(prefix + std::to_string(i));
  return ids;
}

WeightsSpec spec(bool standardise) {
  WeightsSpec s;
  s.text = "file";
  s.row_standardise = standardise;
  return s;
}

Eigen::MatrixXd dense(const SpMat& w) { return Eigen::MatrixXd(w); }

/// Bit-for-bit equality of two sparse matrices (pattern and values).
bool same_bits(const SpMat& a, const SpMat& b) {
  if (a.rows() != b.rows() || a.cols() != b.cols() || a.nonZeros() != b.nonZeros()) return false;
  const Eigen::MatrixXd da = dense(a), db = dense(b);
  for (Eigen::Index i = 0; i < da.size(); ++i)
    if (std::memcmp(da.data() + i, db.data() + i, sizeof(double)) != 0) return false;
  return true;
}

TEST(WeightsIo, ColumbusEdgeListEqualsTheTestsOwnReader) {
  const std::size_t n = 49;
  const auto raw = read_weights_text(slurp("columbus_anselin_edges.csv"), WeightsFormat::kEdges,
                                     numbered(n), "columbus_anselin_edges.csv");
  EXPECT_EQ(raw.size(), 232u);  // the README's count of directed links
  const Weights w = make_weights(n, raw, spec(true), {});
  const Weights ref = test::columbus_weights("columbus_anselin_edges.csv", n);
  EXPECT_TRUE(same_bits(w.W, ref.W));
  // The file's own row-standardised weights (w_row), read as the weight column, are the matrix.
  WeightsFileOptions o;
  o.weight_column = "w_row";
  const auto raw_w = read_weights_text(slurp("columbus_anselin_edges.csv"), WeightsFormat::kEdges,
                                       numbered(n), "columbus_anselin_edges.csv", o);
  const Weights ww = make_weights(n, raw_w, spec(false), {});
  EXPECT_LT((dense(ww.W) - dense(ref.W)).cwiseAbs().maxCoeff(), 1e-15);  // 17 digits in the file
}

TEST(WeightsIo, EveryFormatRoundTripsBitForBit) {
  const std::size_t n = 49;
  const Weights ref = test::columbus_weights("columbus_queen_edges.csv", n);  // row-standardised
  const auto ids = numbered(n, "tract_");
  for (auto f : {WeightsFormat::kGwt, WeightsFormat::kEdges, WeightsFormat::kMatrixMarket}) {
    WeightsFileOptions o;
    if (f == WeightsFormat::kEdges) o.weight_column = "weight";
    const std::string text = write_weights_text(ref.W, f, ids, "columbus");
    const auto raw = read_weights_text(text, f, ids, to_string(f), o);
    EXPECT_EQ(raw.size(), 236u) << to_string(f);
    const Weights back = make_weights(n, raw, spec(false), {});
    EXPECT_TRUE(same_bits(back.W, ref.W)) << to_string(f);
  }
  // .gal holds the pattern: read back and row-standardised, it is the row-standardised matrix.
  const std::string gal = write_weights_text(ref.W, WeightsFormat::kGal, ids, "columbus");
  EXPECT_EQ(gal.substr(0, gal.find('\n')), "0 49 columbus id");
  const Weights back =
      make_weights(n, read_weights_text(gal, WeightsFormat::kGal, ids, "x.gal"), spec(true), {});
  EXPECT_TRUE(same_bits(back.W, ref.W));
}

TEST(WeightsIo, HandWrittenFilesGiveTheirMatrices) {
  const std::vector<std::string> ids = {"A", "B", "C", "D"};
  // A path A - B - C, D linked to C only (directed D -> C), D unmentioned as a target.
  Eigen::MatrixXd want = Eigen::MatrixXd::Zero(4, 4);
  want(0, 1) = want(1, 0) = want(1, 2) = want(2, 1) = want(3, 2) = 1;
  const std::string gal = "4\nA 1\nB\nB 2\nA C\nC 1\nB\nD 1\nC\n";
  const auto g = read_weights_text(gal, WeightsFormat::kGal, ids, "t.gal");
  EXPECT_EQ(dense(make_weights(4, g, spec(false), {}).W), want);
  // The same as a gwt with weights; the header "0 N NAME ID" and blank lines.
  const std::string gwt = "0 4 path ID\nA B 2\nB A 2\n\nB C 0.5\nC B 0.5\nD C 3\n";
  Eigen::MatrixXd wgwt = want;
  wgwt(0, 1) = wgwt(1, 0) = 2;
  wgwt(1, 2) = wgwt(2, 1) = 0.5;
  wgwt(3, 2) = 3;
  EXPECT_EQ(dense(make_weights(4, read_weights_text(gwt, WeightsFormat::kGwt, ids, "t.gwt"),
                               spec(false), {})
                      .W),
            wgwt);
  // Edge list with quoted ids, CRLF line ends, extra columns in any order.
  const std::string csv = "note,to,from\r\nx,\"B\",A\r\ny,A,B\r\nz,C,B\r\nw,B,C\r\nv,C,D\r\n";
  EXPECT_EQ(dense(make_weights(4, read_weights_text(csv, WeightsFormat::kEdges, ids, "t.csv"),
                               spec(false), {})
                      .W),
            want);
  // Matrix Market, symmetric storage (one triangle) plus comments; pattern field.
  const std::string mtx =
      "%%MatrixMarket matrix coordinate pattern symmetric\n% a comment\n4 4 2\n2 1\n3 2\n";
  Eigen::MatrixXd wsym = Eigen::MatrixXd::Zero(4, 4);
  wsym(0, 1) = wsym(1, 0) = wsym(1, 2) = wsym(2, 1) = 1;
  const auto m = read_weights_text(mtx, WeightsFormat::kMatrixMarket, ids, "t.mtx");
  EXPECT_EQ(m.size(), 4u);
  // D has no neighbour: make_weights calls it an island.
  EXPECT_NE(test::error_of([&] {
              make_weights(4, m, spec(false), {"A", "B", "C", "D"});
            }).find("D has no neighbour"),
            std::string::npos);
  WeightsSpec nearest = spec(false);
  nearest.islands_nearest = true;
  EXPECT_EQ(dense(make_weights(4, m, nearest, {}, {1, 0, 1, 2}).W).row(3).sum(), 1.0);
  EXPECT_EQ(dense(make_weights(4, m, nearest, {}, {1, 0, 1, 2}).W).topLeftCorner(3, 3),
            wsym.topLeftCorner(3, 3));
}

TEST(WeightsIo, ByteOrderMarkIsSkipped) {
  const auto raw = read_weights_text(
      "\xEF\xBB\xBF"
      "from,to\nA,B\n",
      WeightsFormat::kEdges, {"A", "B"}, "bom.csv");
  ASSERT_EQ(raw.size(), 1u);
  EXPECT_EQ(raw[0].i, 0u);
  EXPECT_EQ(raw[0].j, 1u);
}

TEST(WeightsIo, FormatFromTheExtension) {
  EXPECT_EQ(weights_format_of("a/b.gal"), WeightsFormat::kGal);
  EXPECT_EQ(weights_format_of("b.GWT"), WeightsFormat::kGwt);
  EXPECT_EQ(weights_format_of("b.csv"), WeightsFormat::kEdges);
  EXPECT_EQ(weights_format_of("b.mtx"), WeightsFormat::kMatrixMarket);
  EXPECT_NE(test::error_of([] {
              weights_format_of("w.txt");
            }).find("w.txt: unknown weights file type '.txt'"),
            std::string::npos);
}

TEST(WeightsIo, BadFilesNameTheLine) {
  const std::vector<std::string> ids = {"A", "B", "C"};
  auto err = [&](const std::string& text, WeightsFormat f, WeightsFileOptions o = {}) {
    return test::error_of([&] { read_weights_text(text, f, ids, "w.txt", o); });
  };
  auto has = [](const std::string& msg, const std::string& part) {
    return msg.find(part) != std::string::npos;
  };
  EXPECT_TRUE(has(err("3\nA 1\nZ\n", WeightsFormat::kGal),
                  "w.txt:3: neighbour id 'Z' is not the id of any of the 3 units"));
  EXPECT_TRUE(has(err("3\nA 2\nB\n", WeightsFormat::kGal),
                  "w.txt:3: unit 'A' has 2 neighbours (line 2), this line lists 1"));
  EXPECT_TRUE(
      has(err("4\n", WeightsFormat::kGal), "w.txt:1: the header says 4 units, the data have 3"));
  EXPECT_TRUE(
      has(err("3\nA 1\nA\n", WeightsFormat::kGal), "w.txt:3: unit 'A' is linked to itself"));
  EXPECT_TRUE(has(err("3\nA 1\nB\nA 1\nC\n", WeightsFormat::kGal),
                  "w.txt:4: unit 'A' is listed a second time (first on line 2)"));
  EXPECT_TRUE(has(err("3\nA B 1\nA B 2\n", WeightsFormat::kGwt),
                  "w.txt:3: the link 'A' -> 'B' is given twice"));
  EXPECT_TRUE(has(err("3\nA B -1\n", WeightsFormat::kGwt),
                  "w.txt:2: weight '-1' is not a finite number >= 0"));
  EXPECT_TRUE(
      has(err("3\nA B\n", WeightsFormat::kGwt), "w.txt:2: 'ID_FROM ID_TO WEIGHT' expected"));
  EXPECT_TRUE(has(err("source,to\nA,B\n", WeightsFormat::kEdges),
                  "w.txt:1: no column 'from' in the header (columns: source, to)"));
  WeightsFileOptions o;
  o.weight_column = "w";
  EXPECT_TRUE(has(err("from,to,w\nA,B,x\n", WeightsFormat::kEdges, o),
                  "w.txt:2: w 'x' is not a finite number"));
  EXPECT_TRUE(has(err("from,to\nA,B,C\n", WeightsFormat::kEdges),
                  "w.txt:2: expected 2 fields (as in the header), found 3"));
  EXPECT_TRUE(
      has(err("%%MatrixMarket matrix array real general\n3 3\n", WeightsFormat::kMatrixMarket),
          "only the sparse coordinate format"));
  EXPECT_TRUE(has(err("%%MatrixMarket matrix coordinate real general\n3 3 2\n1 2 1\n",
                      WeightsFormat::kMatrixMarket),
                  "announces 2 entries, the file has 1"));
  EXPECT_TRUE(has(err("%%MatrixMarket matrix coordinate real general\n3 3 1\n1 4 1\n",
                      WeightsFormat::kMatrixMarket),
                  "w.txt:3: entry (1, 4) outside 1..3"));
  EXPECT_TRUE(has(test::error_of([] {
                    read_weights_text("2\n", WeightsFormat::kGal, {"A", "A"}, "w.gal");
                  }),
                  "the units' ids are not distinct"));
  EXPECT_TRUE(has(test::error_of([] {
                    write_weights_text(SpMat(2, 2), WeightsFormat::kGal, {"a b", "c"});
                  }),
                  "id 'a b' has a space"));
}

}  // namespace
}  // namespace revest::spatial
