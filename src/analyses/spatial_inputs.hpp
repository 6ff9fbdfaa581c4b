#pragma once
/// \file spatial_inputs.hpp
/// \brief What the spatial job analyses (spatial_models.hpp, spatial_esda.hpp) share: the
/// geography as spatial::Units, cross-sections of the panel as vectors, and the weights of a job
/// with their archive table.
///
/// The spatial library (src/spatial) knows nothing of the geography or the panel: this is where
/// they become its plain inputs.
///
/// \test tests/analyses/spatial_models_test.cpp, tests/analyses/spatial_esda_test.cpp; the
/// library tests of tests/spatial build their county weights through spatial_units().
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/analysis.hpp"
#include "io/geography.hpp"
#include "io/job.hpp"
#include "io/panel.hpp"
#include "spatial/formula.hpp"
#include "spatial/logdet.hpp"
#include "spatial/weights.hpp"

namespace revest::analyses {

/// The counties of `geo` as the units of spatial weights: named "county ADCODE (NAME)", with their
/// area-weighted centroids, queen and rook graphs, prefectures and provinces; their ids in weights
/// files are the 2022 codes (adcode_ref), and the source codes are accepted too (aliases).
spatial::Units spatial_units(const io::Geography& geo);

/// The bytes of the weights files of a job's specs (gal, gwt, edges, matrix), by the file as the
/// spec writes it. Rank 0 reads them (driver::Inputs) and every rank builds from the same bytes.
using WeightsFileTexts = std::map<std::string, std::string>;

/// Cross-sections of a job (option cross_section): every year, the last year, the county means
/// over the years, or the whole panel stacked year by year (spatial panel models).
enum class CrossSection { kEachYear, kLastYear, kMean, kPanel };
const char* to_string(CrossSection c);  ///< "each_year", "last_year", "mean", "panel"
CrossSection cross_section_from_string(const std::string& s);

/// The cross-sections of a panel.
struct CrossSections {
  std::vector<std::string> labels;  ///< "2022", "mean 2011-2022" or "panel 2011-2022"
  std::vector<int> year_index;      ///< the year's index; kMeanIndex; kPanelIndex
  static constexpr int kMeanIndex = -1, kPanelIndex = -2;
};
CrossSections make_cross_sections(const io::Panel& panel, CrossSection kind);
/// County values of the panel variable `variable` in the cross-section `year_index` (kPanelIndex:
/// all years, row t N + i; kMeanIndex: the county means). Throws revest::Error on a variable not
/// in the panel.
std::vector<double> cross_section_values(const io::Panel& panel, const std::string& variable,
                                         int year_index, const io::Geography& geo);

/// The design columns of a formula term in a cross-section (rows as cross_section_values): one
/// column for an expression (evaluated per county and year, then averaged for kMeanIndex; lag(x,
/// k) reads year t - k, which must be one of the job's years), one dummy per level but the first
/// for factor(g) (g = province or prefecture: the geography's; any other name: a panel variable,
/// its values the levels). Throws revest::Error naming the term, the county and year of a
/// non-finite value (log of a value <= 0, ...), or a lag before the job's first year.
struct DesignColumns {
  std::vector<std::string> labels;
  std::vector<std::vector<double>> columns;
};
DesignColumns term_columns(const io::Panel& panel, const spatial::Term& term, int year_index,
                           const io::Geography& geo);

/// The panel variables a formula reads (its terms' variables, and factors over panel variables).
std::vector<std::string> formula_variables(const spatial::Formula& f);

/// The job option `weights`: at least one spec, each parsed (errors name the option's line).
std::vector<spatial::WeightsSpec> weights_option(const io::OptionView& view);
/// `variables` and then the variables of the economic weights among `weights`, each once, in
/// order of first use: the panel variables an analysis reads.
std::vector<std::string> with_weights_variables(std::vector<std::string> variables,
                                                const std::vector<spatial::WeightsSpec>& weights);

/// The weights of a job (built once per rank), with their log-determinants when asked (spatial
/// models; ESDA needs none). Economic weights use the county means of their variable over the
/// panel's years; weights from files are built from `files` (an error names a spec whose file is
/// not there).
struct WeightsSet {
  std::vector<std::unique_ptr<spatial::Weights>> w;
  std::vector<std::unique_ptr<spatial::LogDet>> ld;  ///< empty without log-determinants
  WeightsSet(const std::vector<spatial::WeightsSpec>& specs, const io::Geography& geo,
             const io::Panel& panel, std::optional<spatial::LogDetOptions> logdet,
             const WeightsFileTexts& files = {});
  /// One row per matrix: its WeightsSummary and (with log-determinants) the method and rho
  /// interval.
  Table summary_table() const;
  /// Every matrix itself, sparse: one row per non-zero entry w_ij (matrix k of summary_table's
  /// order, row i, column j as positions in the archive's county table, and the value as used,
  /// after standardisation), so that a referee sees exactly which W produced a result.
  Table matrices_table() const;
};

/// The files the weights specs of `specs` read (spatial::WeightsSpec::file of the file types),
/// each once, in order of first use.
std::vector<std::string> weights_files_of(const std::vector<spatial::WeightsSpec>& specs);

}  // namespace revest::analyses
