#pragma once
/// \file replication_summary.hpp
/// \brief Column-blocked summaries (mean, standard error, percentiles) of stored replications,
/// shared by every analysis's summarize().
#include <cstddef>
#include <vector>

#include "core/analysis.hpp"

namespace revest {

/// Bootstrap summary of each column of a replication dataset, over the tasks whose values are not
/// NaN (failed replications are NaN).
struct ReplicationColumnSummary {
  std::vector<double> mean;    ///< bootstrap mean
  std::vector<double> se;      ///< bootstrap standard error (sample sd, n - 1)
  std::vector<double> lo;      ///< percentile interval: type-7 quantile at (1 - confidence) / 2
  std::vector<double> hi;      ///< ... and at (1 + confidence) / 2
  std::vector<std::size_t> n;  ///< number of finite replications
};

/// Number of columns summarize() reads per read_columns call for `num_tasks` tasks: at most 4096
/// columns and at most 2^22 doubles (32 MiB) per block, at least 1 column.
std::size_t summary_block_columns(std::size_t num_tasks);

/// Summarises columns [0, num_columns) of replication dataset `dataset`, reading them in blocks of
/// at most `block_columns` columns so memory stays bounded (R x block_columns doubles at a time,
/// R = reader.num_tasks()).
/// \test tests/analyses/entropy_index_test.cpp: EntropyIndexAnalysis.BlockedSummaryEqualsOneBlock
ReplicationColumnSummary summarize_replication_columns(ReplicationReader& reader,
                                                       std::size_t dataset, std::size_t num_columns,
                                                       double confidence,
                                                       std::size_t block_columns);

}  // namespace revest
