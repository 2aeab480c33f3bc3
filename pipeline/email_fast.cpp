// The validate stage's fast path for plain cells, which nearly every row and list entry holds:
// one 16-byte-wide scan classifies the cell, and the stages it provably passes are skipped.
#include "email_detail.hpp"

#include <array>
#include <bit>
#include <cstdint>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace leadpipe::email_detail {
namespace {

constexpr auto npos = std::string_view::npos;

// Bytes of a "plain" cell: ASCII letters, digits, . - _ + and (once) @.
enum plain_class : std::uint8_t { p_other = 0, p_plain = 1, p_at = 2 };

constexpr std::array<std::uint8_t, 256> plain_classes = [] {
  std::array<std::uint8_t, 256> t{};
  for (const char c : std::string_view("._-+")) t[static_cast<unsigned char>(c)] = p_plain;
  for (char c = '0'; c <= '9'; ++c) t[static_cast<unsigned char>(c)] = p_plain;
  for (char c = 'a'; c <= 'z'; ++c) {
    t[static_cast<unsigned char>(c)] = p_plain;
    t[static_cast<unsigned char>(c - 'a' + 'A')] = p_plain;
  }
  t['@'] = p_at;
  return t;
}();

}  // namespace

plain_cell plain_at(std::string_view s) noexcept {
  plain_cell r;
  if (s.empty() || s.back() == '.') return r;
  const std::size_t n = s.size();
  std::size_t at = npos;
  std::size_t dots = npos;  // the first ".."
#if defined(__SSE2__)
  // Sixteen bytes at a time; the last block overlaps the one before and only its new bytes
  // count. Signed compares are right here: bytes >= 0x80 compare below every bound.
  if (n >= 16) {
    const __m128i case_bit = _mm_set1_epi8(0x20);
    bool dot_before = false;  // the byte before this block is a dot
    for (std::size_t i = 0; i < n; i += 16) {
      const std::size_t base = i + 16 <= n ? i : n - 16;
      const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s.data() + base));
      const __m128i l = _mm_or_si128(x, case_bit);
      const __m128i alpha = _mm_and_si128(_mm_cmpgt_epi8(l, _mm_set1_epi8('a' - 1)),
                                          _mm_cmplt_epi8(l, _mm_set1_epi8('z' + 1)));
      const __m128i digit = _mm_and_si128(_mm_cmpgt_epi8(x, _mm_set1_epi8('0' - 1)),
                                          _mm_cmplt_epi8(x, _mm_set1_epi8('9' + 1)));
      const auto is = [&](char c) { return _mm_cmpeq_epi8(x, _mm_set1_epi8(c)); };
      const __m128i dot = is('.');
      const __m128i punct =
          _mm_or_si128(_mm_or_si128(dot, is('_')), _mm_or_si128(is('-'), is('+')));
      const __m128i ats = _mm_cmpeq_epi8(x, _mm_set1_epi8('@'));
      const __m128i ok = _mm_or_si128(_mm_or_si128(alpha, digit), _mm_or_si128(punct, ats));
      const unsigned fresh = 0xFFFFU << (i - base);  // bytes not seen in an earlier block
      if ((~static_cast<unsigned>(_mm_movemask_epi8(ok)) & fresh & 0xFFFFU) != 0) return r;
      const unsigned at_bits = static_cast<unsigned>(_mm_movemask_epi8(ats)) & fresh;
      if (at_bits != 0) {
        if (at != npos || (at_bits & (at_bits - 1)) != 0) return r;
        at = base + static_cast<std::size_t>(std::countr_zero(at_bits));
      }
      // A dot whose next byte is a dot, within the block or across from the block before (an
      // overlapping last block holds its pairs whole, so they are found twice at worst).
      const auto dot_bits = static_cast<unsigned>(_mm_movemask_epi8(dot));
      const bool carry = dot_before && base == i && (dot_bits & 1U) != 0;
      const unsigned pairs = dot_bits & (dot_bits >> 1U);
      if (dots == npos && (carry || pairs != 0)) {
        dots = carry ? i - 1 : base + static_cast<std::size_t>(std::countr_zero(pairs));
      }
      dot_before = (dot_bits & 0x8000U) != 0;
    }
    r.at = at;
    r.dots = dots;
    return r;
  }
#endif
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint8_t k = plain_classes[static_cast<unsigned char>(s[i])];
    if (k == p_plain) {
      if (s[i] == '.' && i > 0 && s[i - 1] == '.' && dots == npos) dots = i - 1;
      continue;
    }
    if (k == p_other || at != npos) return r;
    at = i;
  }
  r.at = at;
  r.dots = dots;
  return r;
}

email_reason check_plain_local(std::string_view local, bool doubled_dot) noexcept {
  if (local.front() == '.' || local.back() == '.' || doubled_dot) return email_reason::local_dot;
  if (local.size() > 64) return email_reason::local_too_long;
  return email_reason::none;
}

}  // namespace leadpipe::email_detail
