#include "leadpipe/template_check.hpp"

#include <algorithm>
#include <optional>

#include <fmt/format.h>

#include "leadpipe/ascii.hpp"
#include "leadpipe/utf8.hpp"

namespace leadpipe {
using ascii::iequals;
using ascii::trim_blanks;

std::vector<template_variable> parse_template(std::string_view text) {
  std::vector<template_variable> out;
  std::size_t pos = 0;
  while ((pos = text.find("{{", pos)) != std::string_view::npos) {
    const std::size_t close = text.find("}}", pos + 2);
    if (close == std::string_view::npos) break;
    pos = text.rfind("{{", close);  // the innermost opening: "{{a{{b}}" uses b
    std::string_view inner = text.substr(pos + 2, close - pos - 2);
    pos = close + 2;
    if (inner.find('\n') != std::string_view::npos) continue;  // stray braces around text
    const std::size_t bar = inner.find('|');
    const bool fallback = bar != std::string_view::npos;
    const std::string_view name = trim_blanks(inner.substr(0, bar));
    if (name.empty()) continue;
    auto it = std::find_if(out.begin(), out.end(), [&](const auto& v) { return v.name == name; });
    if (it == out.end()) {
      out.push_back({std::string(name), fallback, 1});
    } else {
      ++it->uses;
      it->has_fallback = it->has_fallback && fallback;
    }
  }
  return out;
}

std::vector<std::string> template_syntax_problems(std::string_view text) {
  std::vector<std::string> out;
  std::uint64_t line_no = 0;
  for (std::size_t start = 0; start <= text.size(); ++line_no) {
    const std::size_t nl = std::min(text.find('\n', start), text.size());
    const std::string_view line = text.substr(start, nl - start);
    start = nl + 1;
    for (std::size_t pos = 0; (pos = line.find("{{", pos)) != std::string_view::npos;) {
      const std::size_t close = line.find("}}", pos + 2);
      if (close == std::string_view::npos) {
        out.push_back(fmt::format("line {}: '{}' has no closing }}}}", line_no + 1,
                                  utf8::prefix(line.substr(pos), 40)));
        break;
      }
      const std::size_t open = line.rfind("{{", close);  // the innermost, as parse_template reads
      const std::string_view inner = line.substr(open + 2, close - open - 2);
      if (trim_blanks(inner.substr(0, inner.find('|'))).empty()) {
        out.push_back(fmt::format("line {}: '{}' names no variable", line_no + 1,
                                  line.substr(open, close + 2 - open)));
      }
      pos = close + 2;
    }
    if (nl == text.size()) break;
  }
  return out;
}

variable_source resolve_variable(const column_mapping& m, std::string_view name) {
  variable_source src;
  if (auto f = lead_field_from_name(name)) {
    if (m.column(*f) != column_mapping::none) {
      src.from = variable_source::kind::lead_field;
      src.field = *f;
      src.column = m.column(*f);
      return src;
    }
  }
  for (auto col : m.custom_columns) {
    if (m.header[col] == name) {
      src.from = variable_source::kind::custom_field;
      src.column = col;
      return src;
    }
  }
  if (m.json_custom_column != column_mapping::none) {
    src.from = variable_source::kind::json_member;
    src.column = m.json_custom_column;
    return src;
  }
  // The lead field a column feeds, if any.
  const auto field_of = [&](std::size_t col) -> std::optional<lead_field> {
    for (std::size_t f = 0; f < lead_field_count; ++f) {
      if (m.field_column[f] == col) return static_cast<lead_field>(f);
    }
    return std::nullopt;
  };
  const auto is_custom = [&](std::size_t col) {
    return std::find(m.custom_columns.begin(), m.custom_columns.end(), col) !=
           m.custom_columns.end();
  };
  // A column of that name but for case: it may be a custom field spelt another way, a column
  // that went to a lead field ({{City}} when City is the location), or one left out.
  for (std::size_t col = 0; col < m.header.size(); ++col) {
    const std::string& h = m.header[col];
    if (!iequals(h, name)) continue;
    if (const auto f = field_of(col)) {
      src.near_miss = std::string(leadpipe::name(*f));
      src.hint = fmt::format("the column '{}' is imported as the lead field {}", h, src.near_miss);
    } else if (is_custom(col)) {
      src.near_miss = h;
      src.hint = "SmartLead matches custom fields case-sensitively";
    } else {
      src.hint = fmt::format(
          "the column '{}' is not imported (--no-custom-fields or "
          "--custom-field leave it out)",
          h);
    }
    return src;
  }
  // Spelt another way ({{companyName}}, {{First Name}}): a mapped lead field's variable or a
  // column whose name matches once case, spaces, '_', '-' and '.' are ignored.
  const std::string want = normalise_header(name);
  for (std::size_t f = 0; f < lead_field_count; ++f) {
    const auto field = static_cast<lead_field>(f);
    if (m.column(field) != column_mapping::none && normalise_header(leadpipe::name(field)) == want) {
      src.near_miss = std::string(leadpipe::name(field));
      src.hint = "lead fields go by these names";
      return src;
    }
  }
  for (auto col : m.custom_columns) {
    if (normalise_header(m.header[col]) == want) {
      src.near_miss = m.header[col];
      src.hint = "SmartLead matches custom fields exactly";
      return src;
    }
  }
  return src;
}

}  // namespace leadpipe
