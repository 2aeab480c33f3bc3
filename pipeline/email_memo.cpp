// The domain's share of the email policy as one pure function (stage 5, the typo and
// disposable flags of stage 7, the provider kind of stage 8), and a small per-result memory of
// it: lead files and lists repeat a few thousand domains millions of times, and a non-ASCII
// domain costs two libidn2 calls that each run tens of thousands of instructions.
#include "email_detail.hpp"

#include <array>
#include <cstdint>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#include <utility>

#include "leadpipe/keyset.hpp"

namespace leadpipe::email_detail {
namespace {

constexpr auto npos = std::string_view::npos;
// Domains longer than this are not remembered (no valid domain is: 253 bytes at most, and a
// Unicode one is at most 4 bytes per A-label byte, which this covers for common scripts).
constexpr std::size_t max_remembered = 255;
constexpr unsigned short_set_bits = 12;  // 4096 sets of two
constexpr std::size_t short_sets = std::size_t{1} << short_set_bits;
constexpr std::size_t long_sets = 512;

bool is_disposable(const tables& t, std::string_view d) {
  for (;;) {
    if (t.disposable.contains(d)) return true;
    d.remove_prefix(d.find('.') + 1);  // the domain has at least two labels
    if (d.find('.') == npos) return false;
  }
}

// hotmail.* and live.* count only over a public suffix (hotmail.co.uk), never a custom domain.
bool is_plus_provider(const tables& t, std::string_view d) {
  for (const std::string_view p : plus_tag_domains()) {
    if (d == p) return true;
  }
  for (const std::string_view brand : {std::string_view("hotmail."), std::string_view("live.")}) {
    if (d.starts_with(brand) && t.icann_suffixes.contains(d.substr(brand.size()))) return true;
  }
  return false;
}

}  // namespace

domain_facts domain_stage(const tables& t, std::string_view domain, bool ascii, std::string& out) {
  domain_facts f;
  const std::size_t base = out.size();
  f.reason = check_domain(t, domain, ascii, out);
  if (f.reason != email_reason::none) return f;
  const std::string_view d = std::string_view(out).substr(base);
  if (d.size() <= t.longest_typo) {
    if (const auto it = t.typos.find(d); it != t.typos.end()) {
      f.flags |= risk::typo;
      f.typo_suggestion = it->second;
    }
  }
  if (is_disposable(t, d)) f.flags |= risk::disposable;
  if (d == "gmail.com" || d == "googlemail.com") {
    f.fold = fold_kind::gmail;
  } else if (is_plus_provider(t, d)) {
    f.fold = fold_kind::plus_tag;
  }
  return f;
}

domain_memo::domain_memo(std::shared_ptr<const tables> owner)
    : owner_(std::move(owner)), short_(2 * short_sets), long_(2 * long_sets) {}

domain_facts domain_memo::lookup(std::string_view domain, bool ascii, std::string& out) {
  if (ascii && domain.size() <= sizeof(short_entry::bytes)) return lookup_short(domain, out);
  if (domain.size() > max_remembered) return domain_stage(*owner_, domain, ascii, out);
  return lookup_long(domain, ascii, out);
}

#if defined(__SSE2__)
namespace {

// 32 bytes of 0xFF, then 32 of zero: the 32 bytes at (keep_mask + 32 - n) keep the first n.
alignas(64) constexpr std::array<char, 64> keep_mask = [] {
  std::array<char, 64> m{};
  for (std::size_t i = 0; i < 32; ++i) m[i] = static_cast<char>(0xFF);
  return m;
}();

constexpr std::uintptr_t page_size = 4096;

// GCC defines __SANITIZE_ADDRESS__ under -fsanitize=address; clang (the fuzz build) answers
// __has_feature instead.
#if defined(__has_feature)
#define LEADPIPE_HAS_FEATURE(x) __has_feature(x)
#else
#define LEADPIPE_HAS_FEATURE(x) 0
#endif
#if defined(__SANITIZE_ADDRESS__) || LEADPIPE_HAS_FEATURE(address_sanitizer)
constexpr bool under_asan = true;
#else
constexpr bool under_asan = false;
#endif

// The lower-case, zero-padded 32-byte form of an ASCII domain of at most 32 bytes, in two
// registers. The bytes are loaded straight from the cell when 32 bytes from its start stay in
// one page (they can then be read whatever lies past the domain), else copied first: bytes
// written one by one and then loaded 16 at a time would stall on store forwarding, which cost
// more than the rest of the lookup.
// The loads past the domain's end read bytes of the same page that are then masked off, which
// AddressSanitizer would report: its builds always copy.
[[gnu::always_inline]] inline void padded_lower(std::string_view domain, __m128i& lo,
                                                __m128i& hi) noexcept {
  const bool direct = !under_asan && (reinterpret_cast<std::uintptr_t>(domain.data()) &
                                      (page_size - 1)) <= page_size - 32;
  if (direct) {
    lo = _mm_loadu_si128(reinterpret_cast<const __m128i*>(domain.data()));
    hi = _mm_loadu_si128(reinterpret_cast<const __m128i*>(domain.data() + 16));
  } else {
    alignas(16) char copy[32] = {};
    std::memcpy(copy, domain.data(), domain.size());
    lo = _mm_load_si128(reinterpret_cast<const __m128i*>(copy));
    hi = _mm_load_si128(reinterpret_cast<const __m128i*>(copy + 16));
  }
  const char* keep = keep_mask.data() + 32 - domain.size();
  lo = _mm_and_si128(lo, _mm_loadu_si128(reinterpret_cast<const __m128i*>(keep)));
  hi = _mm_and_si128(hi, _mm_loadu_si128(reinterpret_cast<const __m128i*>(keep + 16)));
  // 'A'..'Z' get bit 5; bytes of 0x80 and up compare as negative, below 'A'.
  const auto lower = [](__m128i x) {
    const __m128i upper = _mm_and_si128(_mm_cmpgt_epi8(x, _mm_set1_epi8('A' - 1)),
                                        _mm_cmplt_epi8(x, _mm_set1_epi8('Z' + 1)));
    return _mm_or_si128(x, _mm_and_si128(upper, _mm_set1_epi8(0x20)));
  };
  lo = lower(lo);
  hi = lower(hi);
}

// The four 64-bit words of the padded form in lo, hi.
void words_of(__m128i lo, __m128i hi, std::uint64_t (&w)[4]) noexcept {
  const auto high_half = [](__m128i x) {
    return static_cast<std::uint64_t>(_mm_cvtsi128_si64(_mm_unpackhi_epi64(x, x)));
  };
  w[0] = static_cast<std::uint64_t>(_mm_cvtsi128_si64(lo));
  w[1] = high_half(lo);
  w[2] = static_cast<std::uint64_t>(_mm_cvtsi128_si64(hi));
  w[3] = high_half(hi);
}

}  // namespace
#endif

namespace {

// The set of a padded lower-case form's four words, hashed with multiplies (a set index needs
// no more).
std::size_t short_set(const std::uint64_t (&w)[4]) noexcept {
  std::uint64_t h = (w[0] * 0x9E3779B97F4A7C15ULL) ^ (w[1] * 0xC2B2AE3D27D4EB4FULL) ^
                    (w[2] * 0x165667B19E3779F9ULL) ^ (w[3] * 0xD6E8FEB86659FD93ULL);
  h ^= h >> 32U;
  h *= 0x9E3779B97F4A7C15ULL;
  return static_cast<std::size_t>(h >> (64U - short_set_bits));
}

[[gnu::always_inline]] inline void padded_words(std::string_view domain,
                                                std::uint64_t (&w)[4]) noexcept {
#if defined(__SSE2__)
  __m128i k0;
  __m128i k1;
  padded_lower(domain, k0, k1);
  words_of(k0, k1, w);
#else
  char key[32] = {};
  lower_ascii(domain.data(), domain.size(), key);
  std::memcpy(w, key, sizeof(w));
#endif
}

}  // namespace

void domain_memo::prefetch(std::string_view domain) const noexcept {
  if (domain.empty() || domain.size() > sizeof(short_entry::bytes)) return;
  std::uint64_t w[4];
  padded_words(domain, w);
  keyset_detail::prefetch_line(&short_[2 * short_set(w)]);
}

// The ASCII domain stage starts by lower-casing into `out`, and every rule after that reads
// only the lower-case form: so it is lower-cased here, and a hit appends it unchanged. The
// padded form is hashed (short_set) and compared 16 bytes at a time: no call to a hash or
// memcmp for the most frequent step of validation.
domain_facts domain_memo::lookup_short(std::string_view domain, std::string& out) {
  alignas(16) char key[sizeof(short_entry::bytes)];
  std::uint64_t w[4];
#if defined(__SSE2__)
  __m128i k0;
  __m128i k1;
  padded_lower(domain, k0, k1);
  _mm_store_si128(reinterpret_cast<__m128i*>(key), k0);
  _mm_store_si128(reinterpret_cast<__m128i*>(key + 16), k1);
  words_of(k0, k1, w);
#else
  std::memset(key, 0, sizeof(key));
  lower_ascii(domain.data(), domain.size(), key);
  std::memcpy(w, key, sizeof(w));
#endif
  short_entry* set = &short_[2 * short_set(w)];
#if defined(__SSE2__)
  const auto same = [&](const short_entry& e) {
    const __m128i e0 = _mm_load_si128(reinterpret_cast<const __m128i*>(e.bytes));
    const __m128i e1 = _mm_load_si128(reinterpret_cast<const __m128i*>(e.bytes + 16));
    return _mm_movemask_epi8(_mm_and_si128(_mm_cmpeq_epi8(k0, e0), _mm_cmpeq_epi8(k1, e1))) ==
           0xFFFF;
  };
#else
  const auto same = [&](const short_entry& e) {
    return std::memcmp(e.bytes, key, sizeof(key)) == 0;
  };
#endif
  for (unsigned way = 0; way < 2; ++way) {
    if (!same(set[way])) continue;
    if (way == 1) std::swap(set[0], set[1]);
    out.append(key, domain.size());
    return set[0].facts;
  }
  set[1] = set[0];
  short_entry& e = set[0];
  e.facts = domain_stage(*owner_, domain, true, out);
  std::memcpy(e.bytes, key, sizeof(key));
  return e.facts;
}

domain_facts domain_memo::lookup_long(std::string_view domain, bool ascii, std::string& out) {
  const std::uint64_t h = XXH3_64bits(domain.data(), domain.size());
  long_entry* set = &long_[2 * (h & (long_sets - 1))];
  for (unsigned way = 0; way < 2; ++way) {
    long_entry& e = set[way];
    if (!e.used || e.hash != h || e.domain != domain) continue;
    if (way == 1) std::swap(set[0], set[1]);
    if (set[0].facts.reason == email_reason::none) out.append(set[0].alabel);
    return set[0].facts;
  }
  std::swap(set[0], set[1]);  // the older entry's strings are reused for the new one
  long_entry& e = set[0];
  const std::size_t base = out.size();
  e.facts = domain_stage(*owner_, domain, ascii, out);
  e.hash = h;
  e.used = true;
  e.domain.assign(domain);
  if (e.facts.reason == email_reason::none) e.alabel.assign(out, base);
  return e.facts;
}

}  // namespace leadpipe::email_detail
