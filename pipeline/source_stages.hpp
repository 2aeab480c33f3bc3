#pragma once
// Internal to byte_source: the pull stages it chains, raw -> peek -> [gunzip] -> peek -> [decode].
// Each stage reads from the one before it; none of them owns its upstream.

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "leadpipe/source.hpp"

namespace leadpipe::source_detail {

/// One pull stage. read() copies up to n (> 0) bytes, returns 0 only at the end, and throws
/// source_error on failure. Not thread-safe.
class stage {
 public:
  stage() = default;
  stage(const stage&) = delete;
  stage& operator=(const stage&) = delete;
  virtual ~stage() = default;
  [[nodiscard]] virtual std::size_t read(char* out, std::size_t n) = 0;
};

/// Throws source_error(code) with the message "<name>: <what>".
[[noreturn]] void fail(source_errc code, const std::string& name, std::string_view what);

/// A gzip decompressor over `upstream` (which must outlive it); concatenated members are read
/// one after the other. `name` is referenced for messages and must outlive the stage.
[[nodiscard]] std::unique_ptr<stage> make_gunzip(stage& upstream, const std::string& name);

/// The ICU canonical name of `encoding`, or source_error(unknown_encoding) naming the input.
[[nodiscard]] std::string canonical_encoding(std::string_view encoding, const std::string& name);

/// True when a canonical ICU name denotes UTF-8 (no conversion needed).
[[nodiscard]] bool is_utf8(std::string_view canonical);

/// A converter from `canonical` (an ICU name) to UTF-8 over `upstream`. Undecodable or truncated
/// input throws source_error(undecodable_input); messages give byte positions counted from
/// `first_offset` (the bytes already skipped before this stage, such as a byte-order mark) and
/// name the encoding by `label`, as the user gave it (ICU's name when empty).
[[nodiscard]] std::unique_ptr<stage> make_decoder(stage& upstream, const std::string& name,
                                                  const std::string& canonical,
                                                  const std::string& label,
                                                  std::size_t first_offset);

}  // namespace leadpipe::source_detail
