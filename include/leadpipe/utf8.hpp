#pragma once
// UTF-8 well-formedness checks and repair, shared by every stage that touches text
// (email policy stage 0, field repair in the mapper, JSON output).

#include <cstddef>
#include <string>
#include <string_view>

namespace leadpipe::utf8 {

/// Length of the well-formed UTF-8 sequence that starts at s[i] (1..4), or 0 when the bytes there
/// are not one: stray continuation byte, overlong form, surrogate, above U+10FFFF, truncated.
/// Precondition: i < s.size(). Thread-safe.
[[nodiscard]] std::size_t sequence_length(std::string_view s, std::size_t i) noexcept;

/// True when the whole of `s` is well-formed UTF-8. Pure-ASCII input takes a fast path.
[[nodiscard]] bool is_valid(std::string_view s) noexcept;

/// The longest prefix of `s` of at most `n` bytes that does not end inside a UTF-8 sequence
/// (it backs off to the byte that starts one). Thread-safe.
[[nodiscard]] std::string_view prefix(std::string_view s, std::size_t n) noexcept;

/// `s` as it can be shown in a one-line message: control bytes (NUL, CR, LF, TAB, ...) and bytes
/// that are not well-formed UTF-8 become \xNN, and text past `max` bytes of input is cut (at a
/// character boundary) and marked with "...". Thread-safe.
[[nodiscard]] std::string printable(std::string_view s, std::size_t max = 80);

/// True when every byte of `s` is below 0x80.
[[nodiscard]] bool is_ascii(std::string_view s) noexcept;

/// Appends `s` to `out`, replacing each maximal ill-formed subsequence by U+FFFD (EF BF BD).
/// Returns the number of replacements made (0 when `s` was valid). Thread-safe.
std::size_t append_repaired(std::string& out, std::string_view s);

/// True when `s` is text a lead field or an output file can carry: well-formed UTF-8 without a
/// NUL byte (databases refuse U+0000 in text, and a NUL cuts C strings and some CSV readers).
[[nodiscard]] bool is_text(std::string_view s) noexcept;

/// append_repaired() that also replaces each NUL byte by U+FFFD, so that what it appends passes
/// is_text(). Returns the number of replacements made. Thread-safe.
std::size_t append_text(std::string& out, std::string_view s);

/// Decodes the sequence at s[i] (which must be well-formed, see sequence_length) to a code point.
[[nodiscard]] char32_t decode(std::string_view s, std::size_t i, std::size_t len) noexcept;

/// Appends the UTF-8 encoding of code point `cp` (must be a Unicode scalar value).
void append(std::string& out, char32_t cp);

/// Unicode White_Space plus the zero-width characters people paste around text (ZWSP, ZWNJ,
/// ZWJ, WORD JOINER, BOM): what email policy stage 1 trims, and header names lose.
[[nodiscard]] constexpr bool is_space_like(char32_t c) noexcept {
  return (c >= 0x09 && c <= 0x0D) || c == 0x20 || c == 0x85 || c == 0xA0 || c == 0x1680 ||
         (c >= 0x2000 && c <= 0x200D) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F ||
         c == 0x2060 || c == 0x3000 || c == 0xFEFF;
}

/// `s` without the is_space_like characters at either end; bytes that are not well-formed
/// UTF-8 end the trim. Thread-safe.
[[nodiscard]] std::string_view trim_space(std::string_view s) noexcept;

}  // namespace leadpipe::utf8
