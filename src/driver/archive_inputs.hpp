#pragma once
/// \file archive_inputs.hpp
/// \brief What an archive records of a run's inputs (archive.hpp): the inputs as the analyses used
/// them (/data), every input file byte for byte with its SHA-256 (/meta/files, /meta/inputs), and
/// the versions of the libraries that produced it.
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <boost/serialization/map.hpp>
#include <boost/serialization/string.hpp>
#include <boost/serialization/vector.hpp>

#include "driver/h5.hpp"
#include "io/geography.hpp"
#include "io/indicators.hpp"
#include "io/panel.hpp"
#include "io/projects.hpp"

namespace revest::driver {

struct RunInfo;

/// Everything an analysis reads, loaded once by rank 0 and broadcast.
struct Inputs {
  io::Geography geo;
  io::Panel panel;
  io::IndicatorSystem indicators;
  io::Projects projects;  ///< empty unless an analysis values real options
  /// The bytes of every weights file of the analyses' specs, by the file as the spec writes it
  /// (analyses::WeightsFileTexts).
  std::map<std::string, std::string> weights_files;
  template <class Ar>
  void serialize(Ar& ar, unsigned) {
    ar& geo& panel& indicators& projects& weights_files;
  }
};

struct InputFile {
  /// job, defaults, indicators, counties, queen, rook, panel, projects, and weights_1,
  /// weights_2, ... (the weights files, in the order of analyses::weights_files_of)
  std::string role;
  std::string path;
  std::string sha256;
  std::string read_from;  ///< where the bytes are now, if not at `path` (a re-run's scratch copy)
  template <class Ar>
  void serialize(Ar& ar, unsigned) {
    ar& role& path& sha256& read_from;
  }
};

/// Writes /data: the counties, the queen and rook edges, the panel, the indicator system and
/// (when an analysis values real options) the projects, as the analyses used them.
void write_inputs(hid_t file, const Inputs& in);

/// Writes /meta/files (every input file, byte for byte; its bytes must still have the SHA-256
/// recorded when the job was read) and the table /meta/inputs (path, SHA-256 and role of each).
void embed_input_files(hid_t meta, const std::vector<InputFile>& files);

/// "hdf5 X; mpi Y; petsc Z; ..." for /meta: the libraries this build uses.
std::string library_versions(const RunInfo& info);

/// SHA-256 of a byte string, lower-case hex.
std::string sha256_bytes(const std::string& bytes);

/// The bytes of a file; nullopt when it cannot be opened (the caller names the file's role).
std::optional<std::string> read_file_bytes(const std::filesystem::path& path);

/// SHA-256 of a file, lower-case hex.
std::string sha256_file(const std::filesystem::path& path);

}  // namespace revest::driver
