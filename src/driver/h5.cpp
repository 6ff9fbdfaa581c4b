#include "driver/h5.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <iomanip>
#include <memory>
#include <sstream>

#include "core/error.hpp"

namespace revest::driver::h5 {

void Handle::reset() {
  if (id_ < 0) return;
  switch (H5Iget_type(id_)) {
    case H5I_FILE:
      H5Fclose(id_);
      break;
    case H5I_GROUP:
      H5Gclose(id_);
      break;
    case H5I_DATASET:
      H5Dclose(id_);
      break;
    case H5I_DATASPACE:
      H5Sclose(id_);
      break;
    case H5I_DATATYPE:
      H5Tclose(id_);
      break;
    case H5I_ATTR:
      H5Aclose(id_);
      break;
    case H5I_GENPROP_LST:
      H5Pclose(id_);
      break;
    default:
      break;
  }
  id_ = -1;
}

namespace {
thread_local int g_failure_errno = 0;

herr_t find_errno(unsigned, const H5E_error2_t* e, void* data) {
  // The POSIX driver's messages carry ", errno = 28, error message = '...'"; MPI-IO's name the MPI
  // error class.
  const char* d = e->desc ? e->desc : "";
  int& err = *static_cast<int*>(data);
  if (const char* p = std::strstr(d, "errno = "))
    err = std::atoi(p + 8);
  else if (std::strstr(d, "MPI_ERR_NO_SPACE") || std::strstr(d, "No space left"))
    err = ENOSPC;
  else if (std::strstr(d, "MPI_ERR_QUOTA") || std::strstr(d, "quota exceeded"))
    err = EDQUOT;
  return 0;
}

/// Called right after a failed HDF5 call, before the next call clears HDF5's error stack: the
/// system error behind it (0 if none), remembered for failure_errno().
[[noreturn]] void fail(const std::string& what) {
  int err = 0;
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, find_errno, &err);
  g_failure_errno = err;
  if (err) REVEST_FAIL("HDF5: " << what << " (" << std::strerror(err) << ")");
  REVEST_FAIL("HDF5: " << what);
}
}  // namespace

int failure_errno() { return g_failure_errno; }
void clear_failure_errno() { g_failure_errno = 0; }

hid_t check(hid_t id, const std::string& what) {
  if (id < 0) fail(what);
  return id;
}
void check_status(herr_t st, const std::string& what) {
  if (st < 0) fail(what);
}

void quiet() { H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr); }

bool exists(hid_t loc, const std::string& path) {
  // Check each component (H5Lexists fails if an intermediate link is missing).
  std::string cur;
  std::stringstream ss(path);
  std::string part;
  while (std::getline(ss, part, '/')) {
    if (part.empty()) {
      if (cur.empty()) cur.push_back('/');
      continue;
    }
    if (!cur.empty() && cur.back() != '/') cur.push_back('/');
    cur.append(part);
    if (H5Lexists(loc, cur.c_str(), H5P_DEFAULT) <= 0) return false;
  }
  return true;
}

hid_t gcpl() {
  hid_t p = H5Pcreate(H5P_GROUP_CREATE);
  H5Pset_obj_track_times(p, 0);
  H5Pset_link_creation_order(p, H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED);
  return p;
}

Handle group(hid_t loc, const std::string& path) {
  if (exists(loc, path))
    return Handle(check(H5Gopen2(loc, path.c_str(), H5P_DEFAULT), "open group " + path));
  Handle lcpl(H5Pcreate(H5P_LINK_CREATE));
  H5Pset_create_intermediate_group(lcpl, 1);
  Handle cp(gcpl());
  return Handle(
      check(H5Gcreate2(loc, path.c_str(), lcpl, cp, H5P_DEFAULT), "create group " + path));
}

namespace {
Handle vlen_string_type() {
  Handle t(H5Tcopy(H5T_C_S1));
  H5Tset_size(t, H5T_VARIABLE);
  H5Tset_cset(t, H5T_CSET_UTF8);
  return t;
}

void delete_attr_if_exists(hid_t obj, const std::string& name) {
  if (H5Aexists(obj, name.c_str()) > 0) H5Adelete(obj, name.c_str());
}

template <class T>
void attr_scalar(hid_t obj, const std::string& name, hid_t type, const T& v) {
  delete_attr_if_exists(obj, name);
  Handle sp(H5Screate(H5S_SCALAR));
  Handle a(check(H5Acreate2(obj, name.c_str(), type, sp, H5P_DEFAULT, H5P_DEFAULT),
                 "create attribute " + name));
  check_status(H5Awrite(a, type, &v), "write attribute " + name);
}

hid_t dcpl_for(std::size_t n, std::size_t elem) {
  hid_t p = H5Pcreate(H5P_DATASET_CREATE);
  H5Pset_obj_track_times(p, 0);
  if (n * elem > 4096) {
    const hsize_t chunk =
        std::max<hsize_t>(1, std::min<hsize_t>(n, (1 << 20) / std::max<std::size_t>(elem, 1)));
    H5Pset_chunk(p, 1, &chunk);
    H5Pset_shuffle(p);
    H5Pset_deflate(p, 4);
  }
  return p;
}

/// Replaces dataset `name` with a 1-D dataset of n elements of `file_type` written from `buf`
/// (in `mem_type`); `elem` is the element size used to choose chunking and compression.
void write_1d(hid_t loc, const std::string& name, hid_t mem_type, hid_t file_type,
              std::size_t count, std::size_t elem, const void* buf) {
  if (H5Lexists(loc, name.c_str(), H5P_DEFAULT) > 0) H5Ldelete(loc, name.c_str(), H5P_DEFAULT);
  const hsize_t n = count;
  Handle sp(H5Screate_simple(1, &n, nullptr));
  Handle dcpl(dcpl_for(count, elem));
  Handle d(check(H5Dcreate2(loc, name.c_str(), file_type, sp, H5P_DEFAULT, dcpl, H5P_DEFAULT),
                 "create dataset " + name));
  if (n > 0)
    check_status(H5Dwrite(d, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf),
                 "write dataset " + name);
}
}  // namespace

void attr(hid_t obj, const std::string& name, const std::string& value) {
  Handle t = vlen_string_type();
  const char* p = value.c_str();
  attr_scalar(obj, name, t, p);
}
void attr(hid_t obj, const std::string& name, std::int64_t value) {
  attr_scalar(obj, name, H5T_NATIVE_INT64, value);
}
void attr(hid_t obj, const std::string& name, double value) {
  attr_scalar(obj, name, H5T_NATIVE_DOUBLE, value);
}
void attr(hid_t obj, const std::string& name, const std::vector<std::string>& values) {
  delete_attr_if_exists(obj, name);
  Handle t = vlen_string_type();
  const hsize_t n = values.size();
  Handle sp(H5Screate_simple(1, &n, nullptr));
  Handle a(check(H5Acreate2(obj, name.c_str(), t, sp, H5P_DEFAULT, H5P_DEFAULT),
                 "create attribute " + name));
  std::vector<const char*> ptrs;
  ptrs.reserve(values.size());
  for (const auto& s : values) ptrs.push_back(s.c_str());
  if (n > 0) check_status(H5Awrite(a, t, ptrs.data()), "write attribute " + name);
}

bool has_attr(hid_t obj, const std::string& name) { return H5Aexists(obj, name.c_str()) > 0; }

std::string attr_string(hid_t obj, const std::string& name) {
  Handle a(check(H5Aopen(obj, name.c_str(), H5P_DEFAULT), "open attribute " + name));
  Handle t = vlen_string_type();
  char* p = nullptr;
  check_status(H5Aread(a, t, &p), "read attribute " + name);
  std::string s = p ? p : "";
  H5free_memory(p);
  return s;
}
std::int64_t attr_int(hid_t obj, const std::string& name) {
  Handle a(check(H5Aopen(obj, name.c_str(), H5P_DEFAULT), "open attribute " + name));
  std::int64_t v = 0;
  check_status(H5Aread(a, H5T_NATIVE_INT64, &v), "read attribute " + name);
  return v;
}
double attr_double(hid_t obj, const std::string& name) {
  Handle a(check(H5Aopen(obj, name.c_str(), H5P_DEFAULT), "open attribute " + name));
  double v = 0;
  check_status(H5Aread(a, H5T_NATIVE_DOUBLE, &v), "read attribute " + name);
  return v;
}
std::vector<std::string> attr_strings(hid_t obj, const std::string& name) {
  Handle a(check(H5Aopen(obj, name.c_str(), H5P_DEFAULT), "open attribute " + name));
  Handle sp(H5Aget_space(a));
  const hssize_t n = H5Sget_simple_extent_npoints(sp);
  Handle t = vlen_string_type();
  std::vector<char*> ptrs(static_cast<std::size_t>(n), nullptr);
  if (n > 0) check_status(H5Aread(a, t, ptrs.data()), "read attribute " + name);
  std::vector<std::string> out;
  for (char* p : ptrs) {
    out.emplace_back(p ? p : "");
    H5free_memory(p);
  }
  return out;
}

void write(hid_t loc, const std::string& name, const std::vector<double>& v) {
  write_1d(loc, name, H5T_NATIVE_DOUBLE, H5T_IEEE_F64LE, v.size(), sizeof(double), v.data());
}
void write(hid_t loc, const std::string& name, const std::vector<std::int64_t>& v) {
  write_1d(loc, name, H5T_NATIVE_INT64, H5T_STD_I64LE, v.size(), sizeof(std::int64_t), v.data());
}
void write(hid_t loc, const std::string& name, const std::vector<std::int32_t>& v) {
  write_1d(loc, name, H5T_NATIVE_INT32, H5T_STD_I32LE, v.size(), sizeof(std::int32_t), v.data());
}
void write(hid_t loc, const std::string& name, const std::vector<std::string>& v) {
  std::vector<const char*> ptrs;
  ptrs.reserve(v.size());
  for (const auto& x : v) ptrs.push_back(x.c_str());
  Handle t = vlen_string_type();
  write_1d(loc, name, t, t, v.size(), 16, ptrs.data());
}

void write_text(hid_t loc, const std::string& name, const std::string& text) {
  if (H5Lexists(loc, name.c_str(), H5P_DEFAULT) > 0) H5Ldelete(loc, name.c_str(), H5P_DEFAULT);
  Handle t = vlen_string_type();
  Handle sp(H5Screate(H5S_SCALAR));
  Handle dcpl(H5Pcreate(H5P_DATASET_CREATE));
  H5Pset_obj_track_times(dcpl, 0);
  Handle d(check(H5Dcreate2(loc, name.c_str(), t, sp, H5P_DEFAULT, dcpl, H5P_DEFAULT),
                 "create dataset " + name));
  const char* p = text.c_str();
  check_status(H5Dwrite(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, &p), "write dataset " + name);
}

std::string read_text(hid_t loc, const std::string& name) {
  Handle d(check(H5Dopen2(loc, name.c_str(), H5P_DEFAULT), "open dataset " + name));
  Handle t = vlen_string_type();
  char* p = nullptr;
  check_status(H5Dread(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, &p), "read dataset " + name);
  std::string s = p ? p : "";
  H5free_memory(p);
  return s;
}

std::vector<hsize_t> dims(hid_t loc, const std::string& name) {
  Handle d(check(H5Dopen2(loc, name.c_str(), H5P_DEFAULT), "open dataset " + name));
  Handle sp(H5Dget_space(d));
  const int rank = H5Sget_simple_extent_ndims(sp);
  std::vector<hsize_t> out(static_cast<std::size_t>(std::max(rank, 0)));
  if (rank > 0) H5Sget_simple_extent_dims(sp, out.data(), nullptr);
  return out;
}

namespace {
std::size_t npoints(hid_t loc, const std::string& name) {
  std::size_t n = 1;
  for (auto d : dims(loc, name)) n *= d;
  return n;
}
}  // namespace

namespace {
template <class T>
std::vector<T> read_1d(hid_t loc, const std::string& name, hid_t mem_type) {
  Handle d(check(H5Dopen2(loc, name.c_str(), H5P_DEFAULT), "open dataset " + name));
  std::vector<T> v(npoints(loc, name));
  if (!v.empty())
    check_status(H5Dread(d, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data()), "read " + name);
  return v;
}
}  // namespace

std::vector<double> read_doubles(hid_t loc, const std::string& name) {
  return read_1d<double>(loc, name, H5T_NATIVE_DOUBLE);
}
std::vector<std::int64_t> read_ints(hid_t loc, const std::string& name) {
  return read_1d<std::int64_t>(loc, name, H5T_NATIVE_INT64);
}
std::vector<std::int32_t> read_int32s(hid_t loc, const std::string& name) {
  return read_1d<std::int32_t>(loc, name, H5T_NATIVE_INT32);
}
std::vector<std::string> read_strings(hid_t loc, const std::string& name) {
  Handle d(check(H5Dopen2(loc, name.c_str(), H5P_DEFAULT), "open dataset " + name));
  Handle t = vlen_string_type();
  std::vector<char*> ptrs(npoints(loc, name), nullptr);
  if (!ptrs.empty())
    check_status(H5Dread(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, ptrs.data()), "read " + name);
  std::vector<std::string> out;
  for (char* p : ptrs) {
    out.emplace_back(p ? p : "");
    H5free_memory(p);
  }
  return out;
}

void write_table(hid_t loc, const Table& table) {
  table.check();
  if (H5Lexists(loc, table.name.c_str(), H5P_DEFAULT) > 0)
    H5Ldelete(loc, table.name.c_str(), H5P_DEFAULT);
  Handle g = group(loc, table.name);
  std::vector<std::string> names;
  for (const auto& c : table.columns) {
    std::visit([&](const auto& v) { write(g, c.name, v); }, c.data);
    if (!c.description.empty() || !c.units.empty()) {
      Handle d(check(H5Dopen2(g, c.name.c_str(), H5P_DEFAULT), "open column " + c.name));
      if (!c.description.empty()) attr(d, "description", c.description);
      if (!c.units.empty()) attr(d, "units", c.units);
    }
    names.push_back(c.name);
  }
  attr(g, "columns", names);
  attr(g, "description", table.description);
  attr(g, "kind", std::string("table"));
}

Column read_column(hid_t table, const std::string& name) {
  Column col;
  col.name = name;
  Handle d(check(H5Dopen2(table, name.c_str(), H5P_DEFAULT), "open column " + name));
  if (has_attr(d, "description")) col.description = attr_string(d, "description");
  if (has_attr(d, "units")) col.units = attr_string(d, "units");
  Handle ty(H5Dget_type(d));
  const H5T_class_t cls = H5Tget_class(ty);
  if (cls == H5T_STRING)
    col.data = read_strings(table, name);
  else if (cls == H5T_INTEGER)
    col.data = read_ints(table, name);
  else
    col.data = read_doubles(table, name);
  return col;
}

Table read_table(hid_t loc, const std::string& name) {
  Handle g(check(H5Gopen2(loc, name.c_str(), H5P_DEFAULT), "open table " + name));
  Table t;
  t.name = name;
  if (has_attr(g, "description")) t.description = attr_string(g, "description");
  for (const auto& c : attr_strings(g, "columns")) {
    REVEST_REQUIRE(exists(g, c),
                   "table " << name << ": column '" << c << "' is listed but missing");
    t.columns.push_back(read_column(g, c));
  }
  return t;
}

Handle fixed_string_type(std::size_t n) {
  Handle t(H5Tcopy(H5T_C_S1));
  H5Tset_size(t, n);
  H5Tset_strpad(t, H5T_STR_NULLPAD);
  return t;
}

void write_bytes(hid_t loc, const std::string& name, const std::string& bytes) {
  write_1d(loc, name, H5T_NATIVE_UINT8, H5T_STD_U8LE, bytes.size(), 1, bytes.data());
}

std::string read_bytes(hid_t loc, const std::string& name) {
  Handle d(check(H5Dopen2(loc, name.c_str(), H5P_DEFAULT), "open dataset " + name));
  std::string out(npoints(loc, name), '\0');
  if (!out.empty())
    check_status(H5Dread(d, H5T_NATIVE_UINT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, out.data()),
                 "read " + name);
  return out;
}

namespace {
herr_t collect_datasets(hid_t, const char* name, const H5O_info_t* info, void* data) {
  if (info->type == H5O_TYPE_DATASET)
    static_cast<std::vector<std::string>*>(data)->push_back(std::string("/") + name);
  return 0;
}
}  // namespace

std::vector<std::string> list_datasets(hid_t file) {
  std::vector<std::string> out;
  check_status(H5Ovisit(file, H5_INDEX_NAME, H5_ITER_INC, collect_datasets, &out), "list datasets");
  return out;
}

namespace {
/// The type an attribute's or dataset's values are read in for hashing: the stored type, with
/// numbers little-endian (so the bytes do not depend on the machine that hashes them).
Handle canonical_type(hid_t stored) {
  Handle t(H5Tcopy(stored));
  const H5T_class_t cls = H5Tget_class(t);
  if (cls == H5T_INTEGER || cls == H5T_FLOAT) H5Tset_order(t, H5T_ORDER_LE);
  return t;
}
}  // namespace

std::string sha256_dataset(hid_t loc, const std::string& path) {
  std::unique_ptr<EVP_MD_CTX, void (*)(EVP_MD_CTX*)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr);
  Handle d(check(H5Dopen2(loc, path.c_str(), H5P_DEFAULT), "open dataset " + path));
  Handle t(H5Dget_type(d));
  Handle fs(H5Dget_space(d));
  const int nd = H5Sget_simple_extent_ndims(fs);
  std::vector<hsize_t> dim(static_cast<std::size_t>(std::max(nd, 0)));
  if (nd > 0) H5Sget_simple_extent_dims(fs, dim.data(), nullptr);
  const bool vlen = H5Tget_class(t) == H5T_STRING && H5Tis_variable_str(t) > 0;
  if (vlen) {
    // Texts and string columns are small: read whole.
    const auto n = static_cast<std::size_t>(H5Sget_simple_extent_npoints(fs));
    Handle vt = vlen_string_type();
    std::vector<char*> ptrs(n, nullptr);
    if (n) check_status(H5Dread(d, vt, H5S_ALL, H5S_ALL, H5P_DEFAULT, ptrs.data()), "read " + path);
    for (char* p : ptrs) {
      const std::size_t len = p ? std::strlen(p) : 0;
      EVP_DigestUpdate(ctx.get(), p ? p : "", len);
      EVP_DigestUpdate(ctx.get(), "", 1);
      H5free_memory(p);
    }
  } else if (nd == 0) {
    Handle ct = canonical_type(t);
    std::string buf(H5Tget_size(ct), '\0');
    check_status(H5Dread(d, ct, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf.data()), "read " + path);
    EVP_DigestUpdate(ctx.get(), buf.data(), buf.size());
  } else {
    Handle ct = canonical_type(t);
    std::size_t row = H5Tget_size(ct);
    for (int k = 1; k < nd; ++k) row *= dim[static_cast<std::size_t>(k)];
    const hsize_t block = std::max<hsize_t>(1, (hsize_t{32} << 20) / std::max<std::size_t>(row, 1));
    std::string buf;
    for (hsize_t r0 = 0; r0 < dim[0]; r0 += block) {
      std::vector<hsize_t> start(dim.size(), 0), count(dim);
      count[0] = std::min(block, dim[0] - r0);
      start[0] = r0;
      H5Sselect_hyperslab(fs, H5S_SELECT_SET, start.data(), nullptr, count.data(), nullptr);
      Handle ms(H5Screate_simple(nd, count.data(), nullptr));
      buf.resize(count[0] * row);
      check_status(H5Dread(d, ct, ms, fs, H5P_DEFAULT, buf.data()), "read " + path);
      EVP_DigestUpdate(ctx.get(), buf.data(), buf.size());
    }
  }
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx.get(), md, &len);
  return to_hex(md, len);
}

namespace {
herr_t collect_objects(hid_t, const char* name, const H5O_info_t* info, void* data) {
  auto* out = static_cast<std::vector<std::string>*>(data);
  if (std::strcmp(name, ".") == 0) return 0;  // the root, listed first by list_objects
  if (info->type == H5O_TYPE_DATASET || info->type == H5O_TYPE_GROUP)
    out->push_back(std::string("/") + name);
  return 0;
}
herr_t collect_attribute(hid_t, const char* name, const H5A_info_t*, void* data) {
  static_cast<std::vector<std::string>*>(data)->emplace_back(name);
  return 0;
}

}  // namespace

std::vector<std::string> list_objects(hid_t file) {
  std::vector<std::string> out{"/"};
  check_status(H5Ovisit(file, H5_INDEX_NAME, H5_ITER_INC, collect_objects, &out), "list objects");
  return out;
}

std::vector<std::string> attribute_names(hid_t obj) {
  std::vector<std::string> out;
  hsize_t idx = 0;
  check_status(H5Aiterate2(obj, H5_INDEX_NAME, H5_ITER_INC, &idx, collect_attribute, &out),
               "list attributes");
  return out;
}

std::string sha256_attribute(hid_t obj, const std::string& name) {
  Handle a(check(H5Aopen(obj, name.c_str(), H5P_DEFAULT), "open attribute " + name));
  Handle stored(H5Aget_type(a));
  Handle sp(H5Aget_space(a));
  const hssize_t np = H5Sget_simple_extent_npoints(sp);
  const auto n = static_cast<std::size_t>(std::max<hssize_t>(np, 0));
  std::string bytes;
  if (H5Tget_class(stored) == H5T_STRING && H5Tis_variable_str(stored) > 0) {
    Handle t(H5Tcopy(stored));  // same character set as stored (HDF5 converts no character sets)
    std::vector<char*> ptrs(n, nullptr);
    if (n) check_status(H5Aread(a, t, ptrs.data()), "read attribute " + name);
    for (char* p : ptrs) {
      bytes.append(p ? p : "");
      bytes.push_back('\0');
      H5free_memory(p);
    }
  } else {
    Handle t = canonical_type(stored);
    bytes.assign(n * H5Tget_size(t), '\0');
    if (n) check_status(H5Aread(a, t, bytes.data()), "read attribute " + name);
  }
  return sha256_hex(bytes);
}

std::string sha256_hex(const std::string& bytes) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(bytes.data(), bytes.size(), md, &len, EVP_sha256(), nullptr);
  return to_hex(md, len);
}

std::string to_hex(const unsigned char* bytes, std::size_t n) {
  std::ostringstream os;
  for (std::size_t i = 0; i < n; ++i)
    os << std::hex << std::setw(2) << std::setfill('0') << int(bytes[i]);
  return os.str();
}

std::string library_version() {
  unsigned maj = 0, min = 0, rel = 0;
  H5get_libversion(&maj, &min, &rel);
  return std::to_string(maj) + "." + std::to_string(min) + "." + std::to_string(rel);
}

}  // namespace revest::driver::h5
