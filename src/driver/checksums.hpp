#pragma once
/// \file checksums.hpp
/// \brief Checksums of everything a finished archive holds, and the archive digest.
///
/// Every dataset carries the attribute `sha256`: the SHA-256 of its values (h5::sha256_dataset).
/// Every object (the root group, every group and every dataset) carries `sha256_attributes`: one
/// line "HEX NAME" per attribute of the object, in name order, HEX being the SHA-256 of the
/// attribute's value (h5::sha256_attribute); the two checksum attributes themselves are left out.
///
/// The archive digest is one SHA-256 over all these checksums (a Merkle root), so that a paper can
/// cite one value and a referee can check an archive against it (`revest verify A --digest D`):
///
///   digest = SHA-256 of the concatenation of the lines, sorted by their bytes, of
///     "PATH HEX\n"        for every dataset (HEX: the SHA-256 of its values)
///     "PATH@NAME HEX\n"   for every attribute NAME of every object (HEX: the SHA-256 of its
///                         value), except those named sha256 and sha256_attributes
///
/// PATH is the object's absolute path ("/" for the root group). Values are hashed in a canonical
/// form that depends only on the values: fixed-size types little-endian and row-major as stored,
/// variable-length strings as their bytes each followed by a NUL byte. The README shows how to
/// recompute the digest with h5py alone (tests/driver/archive_digest.py does exactly that).
/// The digest covers /meta too (times, hosts): it identifies one archive file's contents; two runs
/// of a job have different digests and the same results (`revest compare`).
#include <hdf5.h>

#include <string>
#include <vector>

namespace revest::driver {

inline constexpr const char* kDatasetChecksum = "sha256";
inline constexpr const char* kAttributeChecksums = "sha256_attributes";

/// Records both kinds of checksum in a file open for writing (every other attribute must already
/// be written) and returns the archive digest.
std::string write_checksums(hid_t file);

/// What verify_checksums found.
struct ChecksumReport {
  std::size_t datasets = 0, datasets_intact = 0;
  std::size_t attributes = 0, attributes_intact = 0;
  /// False for an archive of format 1 (before attributes were checksummed): its attributes are
  /// hashed into the digest but cannot be checked one by one.
  bool attributes_recorded = true;
  std::vector<std::string> problems;  ///< one line per missing, unreadable or wrong checksum
  std::string digest;                 ///< from the contents; empty if something was unreadable
};

/// Recomputes every checksum from the archive's contents, compares each with the recorded one
/// (CHECKSUM / ATTRIBUTE lines), checks that every column a table lists exists (TABLE lines), and
/// computes the digest from the recomputed checksums (never from the recorded ones).
ChecksumReport verify_checksums(hid_t file);

/// The digest from the recorded dataset checksums and the attributes as they are: reads no
/// dataset values (what `revest inspect` prints). Throws revest::Error naming a dataset without a
/// recorded checksum (an incomplete archive).
std::string recorded_digest(hid_t file);

/// SHA-256 (lower-case hex) of the lines sorted by their bytes, each followed by "\n".
std::string digest_of(std::vector<std::string> lines);

}  // namespace revest::driver
