#pragma once
/// \file h5.hpp
/// \brief Thin RAII and error-checking layer over the HDF5 C API (driver only: the parallel HDF5
/// headers include <mpi.h>).
#include <hdf5.h>

#include <cstdint>
#include <string>
#include <vector>

#include "core/analysis.hpp"

namespace revest::driver::h5 {

/// Owns an HDF5 identifier and closes it with the right H5*close.
class Handle {
 public:
  Handle() = default;
  explicit Handle(hid_t id) : id_(id) {}
  Handle(Handle&& o) noexcept : id_(o.id_) { o.id_ = -1; }
  Handle& operator=(Handle&& o) noexcept {
    if (this != &o) {
      reset();
      id_ = o.id_;
      o.id_ = -1;
    }
    return *this;
  }
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  ~Handle() { reset(); }
  hid_t get() const { return id_; }
  operator hid_t() const { return id_; }
  void reset();
  /// Forgets the identifier without closing it (for an abort path where closing would be a
  /// collective call that other ranks never make).
  void release() { id_ = -1; }

 private:
  hid_t id_ = -1;
};

/// Throws revest::Error "HDF5: what" if id < 0, with the system's reason when HDF5 reports one
/// ("HDF5: write dataset mode (No space left on device)").
hid_t check(hid_t id, const std::string& what);
void check_status(herr_t st, const std::string& what);
/// The errno behind the last failure check() or check_status() reported on this thread (ENOSPC,
/// EDQUOT, ...) since clear_failure_errno(), or 0 if HDF5 named none.
int failure_errno();
void clear_failure_errno();

/// Silences HDF5's own error stack printing (we report errors ourselves).
void quiet();

bool exists(hid_t loc, const std::string& path);
/// Creates (or opens, if it exists) the group at `path` (intermediate groups included). Object
/// time tracking is off so identical runs give identical files.
Handle group(hid_t loc, const std::string& path);
hid_t gcpl();  ///< group creation properties: no time tracking, creation order tracked

// Attributes (scalar or 1-D). String attributes are variable-length UTF-8.
void attr(hid_t obj, const std::string& name, const std::string& value);
void attr(hid_t obj, const std::string& name, std::int64_t value);
void attr(hid_t obj, const std::string& name, double value);
void attr(hid_t obj, const std::string& name, const std::vector<std::string>& values);
std::string attr_string(hid_t obj, const std::string& name);
std::int64_t attr_int(hid_t obj, const std::string& name);
double attr_double(hid_t obj, const std::string& name);
std::vector<std::string> attr_strings(hid_t obj, const std::string& name);
bool has_attr(hid_t obj, const std::string& name);

// Whole 1-D datasets, written serially, compressed when larger than a few KiB.
void write(hid_t loc, const std::string& name, const std::vector<double>& v);
void write(hid_t loc, const std::string& name, const std::vector<std::int64_t>& v);
void write(hid_t loc, const std::string& name, const std::vector<std::int32_t>& v);
void write(hid_t loc, const std::string& name, const std::vector<std::string>& v);
/// A scalar string dataset (for long texts such as the job file).
void write_text(hid_t loc, const std::string& name, const std::string& text);
std::string read_text(hid_t loc, const std::string& name);
std::vector<double> read_doubles(hid_t loc, const std::string& name);
std::vector<std::int64_t> read_ints(hid_t loc, const std::string& name);
std::vector<std::int32_t> read_int32s(hid_t loc, const std::string& name);
std::vector<std::string> read_strings(hid_t loc, const std::string& name);

/// Writes a summary table as a group of equal-length column datasets with an attribute
/// `columns` listing them in order (replacing the group if it exists).
void write_table(hid_t loc, const Table& table);
/// Reads a table group back (columns in stored order). Throws revest::Error naming the table and
/// the column if a listed column is missing.
Table read_table(hid_t loc, const std::string& name);
/// One column of an open table group (with its description and units).
Column read_column(hid_t table, const std::string& name);

/// A fixed-length, NUL-padded string type of n bytes.
Handle fixed_string_type(std::size_t n);

/// An opaque byte string as a 1-D uint8 dataset (compressed; e.g. an input file embedded whole).
void write_bytes(hid_t loc, const std::string& name, const std::string& bytes);
std::string read_bytes(hid_t loc, const std::string& name);

/// Paths ("/a/b") of every dataset under `loc`, in name order.
std::vector<std::string> list_datasets(hid_t file);

/// SHA-256 (lower-case hex) of a dataset's values in a canonical byte form that depends only on
/// the values, never on the storage: fixed-size types as stored (little-endian, row-major),
/// variable-length strings as their bytes each followed by a NUL. Reads in blocks of rows, so any
/// size fits in memory.
std::string sha256_dataset(hid_t loc, const std::string& path);

/// Paths of every object (groups and datasets) of a file: "/" first, then as H5Ovisit names them
/// (name order).
std::vector<std::string> list_objects(hid_t file);

/// Names of the attributes of an object, in name order.
std::vector<std::string> attribute_names(hid_t obj);

/// SHA-256 (lower-case hex) of an attribute's value in the canonical byte form of sha256_dataset:
/// variable-length strings as their bytes each followed by a NUL, fixed-size values little-endian.
std::string sha256_attribute(hid_t obj, const std::string& name);

/// SHA-256 (lower-case hex) of a byte string.
std::string sha256_hex(const std::string& bytes);

/// Lower-case hex of n bytes (a digest).
std::string to_hex(const unsigned char* bytes, std::size_t n);

/// Dimensions of a dataset.
std::vector<hsize_t> dims(hid_t loc, const std::string& name);

/// HDF5 library version "1.10.8".
std::string library_version();

}  // namespace revest::driver::h5
