#pragma once
// Small readers of API answers (simdjson DOM) shared by the sync and the workflow commands.

#include <charconv>
#include <cstdint>
#include <optional>
#include <string_view>

#include <simdjson.h>

namespace leadpipe {

/// An integer given as a JSON number or as a decimal string (`total_leads` is a string, §6.2);
/// nullopt for anything else (null included). Thread-safe.
[[nodiscard]] inline std::optional<std::int64_t> json_int(simdjson::dom::element e) {
  std::int64_t i = 0;
  if (e.get_int64().get(i) == simdjson::SUCCESS) return i;
  std::uint64_t u = 0;
  if (e.get_uint64().get(u) == simdjson::SUCCESS) return static_cast<std::int64_t>(u);
  std::string_view s;
  if (e.get_string().get(s) == simdjson::SUCCESS) {
    const auto r = std::from_chars(s.data(), s.data() + s.size(), i);
    if (r.ec == std::errc{} && r.ptr == s.data() + s.size()) return i;
  }
  return std::nullopt;
}

/// json_int of member `key` of `o`; nullopt when it is absent or null.
[[nodiscard]] inline std::optional<std::int64_t> json_int_at(simdjson::dom::object o,
                                                             std::string_view key) {
  simdjson::dom::element e;
  if (o.at_key(key).get(e) != simdjson::SUCCESS) return std::nullopt;
  return json_int(e);
}

}  // namespace leadpipe
