#pragma once
// Helpers for tests/leadgen_test.cpp: a scratch directory per test case, and readers that are
// independent of leadpipe's own (a strict RFC 4180 reader, an ASCII address shape check, gunzip),
// so the generator's output is checked against something it does not share code with.

#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <sstream>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include <doctest/doctest.h>

#include "leadgen_data.hpp"
#include "leadgen_generate.hpp"

namespace leadgen_test {

namespace fs = std::filesystem;
using leadpipe::leadgen::gen_options;
using leadpipe::leadgen::gen_summary;
using leadpipe::leadgen::generate;

using record = std::vector<std::string>;

// Each test case owns a fresh directory for its files, removed when the case ends.
class scratch {
 public:
  scratch()
      : dir_(fs::temp_directory_path() / ("leadpipe-leadgen-test-" + std::to_string(::getpid()))) {
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  scratch(const scratch&) = delete;
  scratch& operator=(const scratch&) = delete;
  ~scratch() {
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }
  [[nodiscard]] std::string path(std::string_view name) const { return (dir_ / name).string(); }
  [[nodiscard]] gen_options options(std::string_view name, std::uint64_t rows = 2000) const {
    gen_options o;
    o.rows = rows;
    o.seed = 42;
    o.out = path(name);
    return o;
  }
  // The same options writing to another file.
  [[nodiscard]] gen_options same_as(gen_options o, std::string_view name) const {
    o.out = path(name);
    return o;
  }

 private:
  fs::path dir_;
};

inline std::string slurp(const std::string& path) {
  std::string out;
  std::FILE* f = std::fopen(path.c_str(), "rb");
  REQUIRE(f != nullptr);
  char buf[1 << 16];
  for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, f)) > 0;) out.append(buf, n);
  std::fclose(f);
  return out;
}

inline std::vector<std::string> lines_of(const std::string& path) {
  std::vector<std::string> lines;
  std::istringstream in(slurp(path));
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// A strict RFC 4180 reader, independent of leadpipe's: quotes open only at a field's start.
inline std::vector<record> parse_csv(std::string_view text, char delimiter) {
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
  std::vector<record> records;
  record fields;
  std::string field;
  bool quoted = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c != '"') {
        field += c;
      } else if (i + 1 < text.size() && text[i + 1] == '"') {
        field += '"';
        ++i;
      } else {
        quoted = false;
      }
    } else if (c == '"' && field.empty()) {
      quoted = true;
    } else if (c == delimiter) {
      fields.push_back(std::move(field));
      field.clear();
    } else if (c == '\n' || (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n')) {
      if (c == '\r') ++i;
      fields.push_back(std::move(field));
      field.clear();
      records.push_back(std::move(fields));
      fields.clear();
    } else {
      field += c;
    }
  }
  REQUIRE_FALSE(quoted);
  REQUIRE(field.empty());
  return records;
}

inline gen_summary run(const gen_options& o) {
  auto summary = generate(o);
  if (!summary) FAIL(summary.error().message);
  return summary.value();
}

inline std::vector<record> run_and_parse(const gen_options& o, gen_summary* summary = nullptr) {
  gen_summary s = run(o);
  if (summary != nullptr) *summary = s;
  auto records = parse_csv(slurp(o.out), o.delimiter);
  REQUIRE(records.size() == o.rows + 1);
  return records;
}

inline std::string identity_key(std::string_view cell) {
  while (!cell.empty() && cell.front() == ' ') cell.remove_prefix(1);
  while (!cell.empty() && cell.back() == ' ') cell.remove_suffix(1);
  std::string key;
  leadpipe::leadgen::append_lower_ascii(key, cell);
  return key;
}

inline std::string_view domain_of(std::string_view key) {
  const auto at = key.find('@');
  return at == std::string_view::npos ? std::string_view{} : key.substr(at + 1);
}

// A plain ASCII shape check: local part of letters, digits and . _ - + (no dot at either end,
// no ".."), two or more LDH labels, alphabetic TLD. Every address leadpipe-gen calls valid on an
// ASCII domain passes it; every invalid form must fail it.
inline bool plain_address_shape(std::string_view a) {
  const auto at = a.find('@');
  if (at == 0 || at == std::string_view::npos || a.find('@', at + 1) != std::string_view::npos) {
    return false;
  }
  std::string local, domain;
  leadpipe::leadgen::append_lower_ascii(local, a.substr(0, at));
  leadpipe::leadgen::append_lower_ascii(domain, a.substr(at + 1));
  const auto in = [](std::string_view allowed) {
    return [allowed](char c) {
      return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || allowed.find(c) != allowed.npos;
    };
  };
  if (local.front() == '.' || local.back() == '.' || local.find("..") != std::string::npos ||
      !std::all_of(local.begin(), local.end(), in("._-+"))) {
    return false;
  }
  std::size_t labels = 0;
  std::size_t start = 0;
  for (std::size_t dot = 0; dot != std::string::npos; start = dot + 1, ++labels) {
    dot = domain.find('.', start);
    const std::string_view label = std::string_view(domain).substr(start, dot - start);
    if (label.empty() || label.front() == '-' || label.back() == '-' ||
        !std::all_of(label.begin(), label.end(), in("-"))) {
      return false;
    }
  }
  const std::string_view tld = std::string_view(domain).substr(domain.rfind('.') + 1);
  return labels >= 2 && std::all_of(tld.begin(), tld.end(), [](char c) { return c >= 'a'; });
}

inline std::string gunzip(const std::string& data) {
  z_stream z{};
  REQUIRE(inflateInit2(&z, 15 + 16) == Z_OK);
  std::string out;
  char chunk[1 << 16];
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  int rc = Z_OK;
  while (rc == Z_OK) {
    z.next_out = reinterpret_cast<Bytef*>(chunk);
    z.avail_out = sizeof chunk;
    rc = inflate(&z, Z_NO_FLUSH);
    out.append(chunk, sizeof chunk - z.avail_out);
  }
  inflateEnd(&z);
  CHECK(rc == Z_STREAM_END);
  CHECK(z.avail_in == 0);
  return out;
}

}  // namespace leadgen_test
