// Shared by the spatial adapter tests (spatial_models_test.cpp, spatial_esda_test.cpp): the
// generated panel on the bundled geography (test::southwest(), tests/spatial/southwest.hpp), a
// job's [[analysis]] table from TOML text, and that text with one option replaced.
#pragma once

#include <toml++/toml.h>

#include <string>

#include "io/job.hpp"
#include "io/panel.hpp"
#include "spatial/southwest.hpp"
#include "synth/generate.hpp"

namespace revest::test {

inline const io::Panel& generated_panel() {
  static const synth::SyntheticData d = synth::generate(southwest(), synth::GenerateOptions{});
  return d.panel;
}

/// An [[analysis]] of `kind` named "sp" with the options `text`.
inline io::AnalysisConfig analysis_config(const std::string& kind, const std::string& text) {
  io::AnalysisConfig cfg;
  cfg.kind = kind;
  cfg.name = "sp";
  cfg.options = toml::parse(std::string_view(text), std::string_view("job.toml"));
  return cfg;
}

/// `base` with the value of `key` replaced by `value`.
inline std::string with_option(const std::string& base, const std::string& key,
                               const std::string& value) {
  std::string s = base;
  const auto p = s.find(key + " = ");
  const auto e = s.find('\n', p);
  return s.replace(p, e - p, key + " = " + value);
}

}  // namespace revest::test
