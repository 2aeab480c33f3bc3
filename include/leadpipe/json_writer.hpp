#pragma once
// JSON output without a DOM: appends tokens to a caller-owned std::string. Used by the batch
// serialiser (request bodies), the report and the simulator's responses.

#include <cstdint>
#include <string>
#include <string_view>

namespace leadpipe {

/// Appends `s` to `out` as a JSON string literal (with quotes). Control characters, quotes and
/// backslashes are escaped; U+2028/U+2029 are escaped so the output is also valid JavaScript.
/// Bytes that are not valid UTF-8 are replaced by U+FFFD so the output is always valid JSON.
/// Thread-safe (no shared state).
void append_json_string(std::string& out, std::string_view s);

/// A streaming writer that inserts commas itself. The caller keeps the nesting balanced; the
/// writer owns nothing but a reference to `out`, which must outlive it. Not thread-safe.
class json_writer {
 public:
  explicit json_writer(std::string& out) : out_(out) {}

  json_writer& begin_object();
  json_writer& end_object();
  json_writer& begin_array();
  json_writer& end_array();
  /// Writes an object key; the next value call writes its value.
  json_writer& key(std::string_view k);
  json_writer& value(std::string_view s);
  json_writer& value(const char* s) { return value(std::string_view(s)); }
  json_writer& value(bool b);
  json_writer& value(std::int64_t n);
  json_writer& value(std::uint64_t n);
  json_writer& value(int n) { return value(static_cast<std::int64_t>(n)); }
  json_writer& value(double d);
  json_writer& null();
  /// Inserts already-serialised JSON as one value (no validation).
  json_writer& raw(std::string_view json);

  std::string& buffer() { return out_; }

 private:
  void separate();
  std::string& out_;
  bool need_comma_ = false;
  bool after_key_ = false;
};

}  // namespace leadpipe
