#include "driver/checksums.hpp"

#include <algorithm>
#include <map>

#include "core/error.hpp"
#include "driver/h5.hpp"

namespace revest::driver {

using h5::Handle;

namespace {

bool is_checksum(const std::string& name) {
  return name == kDatasetChecksum || name == kAttributeChecksums;
}

/// The attributes of an object that are hashed: all but the checksums.
std::vector<std::string> hashed_attributes(hid_t obj) {
  std::vector<std::string> out;
  for (auto& n : h5::attribute_names(obj))
    if (!is_checksum(n)) out.push_back(std::move(n));
  return out;
}

Handle open_object(hid_t file, const std::string& path) {
  return Handle(h5::check(H5Oopen(file, path.c_str(), H5P_DEFAULT), "open " + path));
}

bool is_dataset(hid_t obj) { return H5Iget_type(obj) == H5I_DATASET; }

/// "PATH@NAME" for the digest and for messages.
std::string attribute_path(const std::string& object, const std::string& name) {
  return object + "@" + name;
}

}  // namespace

std::string digest_of(std::vector<std::string> lines) {
  std::sort(lines.begin(), lines.end());
  std::string all;
  for (const auto& l : lines) all.append(l).push_back('\n');
  return h5::sha256_hex(all);
}

std::string write_checksums(hid_t file) {
  std::vector<std::string> lines;
  for (const auto& path : h5::list_objects(file)) {
    Handle o = open_object(file, path);
    if (is_dataset(o)) {
      const std::string sum = h5::sha256_dataset(file, path);
      h5::attr(o, kDatasetChecksum, sum);
      lines.push_back(path + " " + sum);
    }
    std::vector<std::string> record;
    for (const auto& name : hashed_attributes(o)) {
      const std::string sum = h5::sha256_attribute(o, name);
      record.push_back(sum + " " + name);
      lines.push_back(attribute_path(path, name) + " " + sum);
    }
    h5::attr(o, kAttributeChecksums, record);
  }
  return digest_of(std::move(lines));
}

ChecksumReport verify_checksums(hid_t file) {
  ChecksumReport r;
  r.attributes_recorded =
      !h5::has_attr(file, "format_version") || h5::attr_int(file, "format_version") >= 2;
  std::vector<std::string> lines;
  bool readable = true;
  for (const auto& path : h5::list_objects(file)) {
    Handle o = open_object(file, path);
    if (is_dataset(o)) {
      ++r.datasets;
      std::string have;
      try {
        have = h5::sha256_dataset(file, path);
        lines.push_back(path + " " + have);
      } catch (const Error& e) {
        r.problems.push_back("CHECKSUM " + path + ": unreadable (" + e.what() + ")");
        readable = false;
      }
      if (!have.empty()) {
        if (!h5::has_attr(o, kDatasetChecksum)) {
          r.problems.push_back("CHECKSUM " + path + ": no checksum recorded");
        } else if (const std::string want = h5::attr_string(o, kDatasetChecksum); want != have) {
          r.problems.push_back("CHECKSUM " + path + ": checksum mismatch (recorded " +
                               want.substr(0, 16) + "..., contents " + have.substr(0, 16) + "...)");
        } else {
          ++r.datasets_intact;
        }
      }
    } else if (h5::has_attr(o, "columns")) {
      // A table: every column it lists must be there (a deleted column is no checksum mismatch).
      for (const auto& c : h5::attr_strings(o, "columns"))
        if (!h5::exists(o, c))
          r.problems.push_back("TABLE " + path + ": column '" + c + "' is listed but missing");
    }
    std::map<std::string, std::string> recorded;  // name -> checksum
    const bool has_record = h5::has_attr(o, kAttributeChecksums);
    if (has_record)
      for (const auto& line : h5::attr_strings(o, kAttributeChecksums)) {
        const auto sp = line.find(' ');
        if (sp != std::string::npos) recorded[line.substr(sp + 1)] = line.substr(0, sp);
      }
    if (r.attributes_recorded && !has_record)
      r.problems.push_back("ATTRIBUTE " + path + ": no attribute checksums recorded");
    for (const auto& name : hashed_attributes(o)) {
      ++r.attributes;
      std::string have;
      try {
        have = h5::sha256_attribute(o, name);
        lines.push_back(attribute_path(path, name) + " " + have);
      } catch (const Error& e) {
        r.problems.push_back("ATTRIBUTE " + attribute_path(path, name) + ": unreadable (" +
                             e.what() + ")");
        readable = false;
        continue;
      }
      if (!r.attributes_recorded) continue;
      const auto it = recorded.find(name);
      if (!has_record) continue;  // reported once for the object above
      if (it == recorded.end())
        r.problems.push_back("ATTRIBUTE " + attribute_path(path, name) +
                             ": no checksum recorded (added after the archive was written?)");
      else if (it->second != have)
        r.problems.push_back("ATTRIBUTE " + attribute_path(path, name) +
                             ": checksum mismatch (recorded " + it->second.substr(0, 16) +
                             "..., contents " + have.substr(0, 16) + "...)");
      else
        ++r.attributes_intact;
    }
    if (r.attributes_recorded)
      for (const auto& [name, sum] : recorded)
        if (!h5::has_attr(o, name))
          r.problems.push_back("ATTRIBUTE " + attribute_path(path, name) +
                               ": recorded but missing");
  }
  if (readable) r.digest = digest_of(std::move(lines));
  return r;
}

std::string recorded_digest(hid_t file) {
  std::vector<std::string> lines;
  for (const auto& path : h5::list_objects(file)) {
    Handle o = open_object(file, path);
    if (is_dataset(o)) {
      REVEST_REQUIRE(h5::has_attr(o, kDatasetChecksum),
                     path << ": no checksum recorded (not a finished archive)");
      lines.push_back(path + " " + h5::attr_string(o, kDatasetChecksum));
    }
    for (const auto& name : hashed_attributes(o))
      lines.push_back(attribute_path(path, name) + " " + h5::sha256_attribute(o, name));
  }
  return digest_of(std::move(lines));
}

}  // namespace revest::driver
