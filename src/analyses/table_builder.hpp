#pragma once
/// \file table_builder.hpp
/// \brief Builds a summary Table (core/analysis.hpp) row by row: each call appends a value to the
/// column of that name, creating the column (with its description and units) on first use, in
/// the order of first use.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/analysis.hpp"

namespace revest::analyses {

struct TableBuilder {
  std::vector<Column> cols;
  std::map<std::string, std::size_t> at;
  template <class T>
  std::vector<T>& get(const std::string& name, const std::string& desc = "",
                      const std::string& units = "") {
    auto it = at.find(name);
    if (it == at.end()) {
      at[name] = cols.size();
      cols.push_back(Column{name, std::vector<T>{}, desc, units});
      it = at.find(name);
    }
    return std::get<std::vector<T>>(cols[it->second].data);
  }
  void d(const std::string& name, double v, const std::string& desc = "",
         const std::string& units = "") {
    get<double>(name, desc, units).push_back(v);
  }
  void i(const std::string& name, std::int64_t v, const std::string& desc = "",
         const std::string& units = "") {
    get<std::int64_t>(name, desc, units).push_back(v);
  }
  void s(const std::string& name, std::string v, const std::string& desc = "") {
    get<std::string>(name, desc).push_back(std::move(v));
  }
  Table table(std::string name, std::string desc) {
    Table t{std::move(name), std::move(desc), std::move(cols)};
    t.check();
    return t;
  }
};

}  // namespace revest::analyses
