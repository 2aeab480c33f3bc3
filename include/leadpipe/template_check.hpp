#pragma once
// `leadpipe check-template`: which {{variables}} a sequence template uses, which of them the
// input cannot fill (SmartLead matches custom-field keys case-sensitively), and how many leads
// would get each one blank (the guide's "custom field variables show blank" case, §11.4).

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "leadpipe/mapping.hpp"

namespace leadpipe {

/// One variable of a template.
struct template_variable {
  std::string name;           ///< as written between the braces, trimmed
  bool has_fallback = false;  ///< written {{name|fallback}}: a blank value is replaced
  std::uint64_t uses = 0;     ///< occurrences in the template
};

/// The distinct variables of `text` in order of first use. `{{ x }}` and `{{x|default}}` are
/// read; unbalanced braces are ignored. Thread-safe.
[[nodiscard]] std::vector<template_variable> parse_template(std::string_view text);

/// What in `text` looks meant as a variable but is none, one message per case with its line:
/// an opening "{{" with no "}}" after it on its line ("line 3: '{{first_name' has no closing
/// }}"), and braces that name no variable ("line 5: '{{}}' names no variable"). SmartLead would
/// send such text as it is. Thread-safe.
[[nodiscard]] std::vector<std::string> template_syntax_problems(std::string_view text);

/// Where a variable's value comes from under a column mapping.
struct variable_source {
  /// json_member: no column is named so, but the custom_fields column's JSON objects may hold
  /// a member of that name (column_mapping::json_custom_column); only the rows can tell.
  enum class kind : std::uint8_t { lead_field, custom_field, json_member, missing };
  kind from = kind::missing;
  lead_field field = lead_field::email;  ///< for lead_field
  std::uint32_t column = 0;              ///< the CSV column (lead_field, custom_field, json_member)
  /// missing: the variable meant, if one is near: the lead field a column equal but for case
  /// feeds, a custom column equal but for case, else a mapped lead field or custom column equal
  /// once case, spaces, _ - . are ignored
  std::string near_miss;
  std::string hint;  ///< missing: why it did not match (empty: no column is near)
};

/// Resolves a variable: a standard lead field name (first_name ...) that is mapped, else a custom
/// field whose header is exactly the name, else a member of the custom_fields column's objects
/// when there is such a column. Thread-safe.
[[nodiscard]] variable_source resolve_variable(const column_mapping& m, std::string_view name);

}  // namespace leadpipe
