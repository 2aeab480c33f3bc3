#pragma once
// Internals of the validate stage shared by pipeline/email*.cpp: the immutable tables built at
// construction and the per-stage helpers. Not part of the public contract (see email.hpp).

#include "leadpipe/email.hpp"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <unicode/uversion.h>
#include <boost/unordered/unordered_flat_map.hpp>
#include <boost/unordered/unordered_flat_set.hpp>
#define XXH_INLINE_ALL
#include <xxhash.h>

U_NAMESPACE_BEGIN
class Normalizer2;
U_NAMESPACE_END

namespace leadpipe::email_detail {

/// XXH3 over the bytes; transparent so sets of string_view are searched without copies.
/// Inlined: a call through the shared library costs as much as hashing a short domain.
struct sv_hash {
  using is_transparent = void;
  using is_avalanching = void;  // XXH3 mixes fully; Boost need not post-mix
  [[nodiscard]] std::size_t operator()(std::string_view s) const noexcept {
    return static_cast<std::size_t>(XXH3_64bits(s.data(), s.size()));
  }
};
using sv_set = boost::unordered_flat_set<std::string_view, sv_hash, std::equal_to<>>;
template <class V>
using sv_map = boost::unordered_flat_map<std::string_view, V, sv_hash, std::equal_to<>>;

/// Static policy tables (email_tables.cpp). All views are into static storage.
[[nodiscard]] std::span<const std::string_view> role_names() noexcept;
[[nodiscard]] std::span<const std::string_view> placeholder_names() noexcept;
[[nodiscard]] std::span<const std::pair<std::string_view, std::string_view>>
typo_domains() noexcept;
[[nodiscard]] std::span<const std::string_view> reserved_domains() noexcept;
/// Exact domains whose `+tag` is dropped by provider folding (besides hotmail.* and live.*).
[[nodiscard]] std::span<const std::string_view> plus_tag_domains() noexcept;

}  // namespace leadpipe::email_detail

/// Everything the validator reads at run time; built once, then immutable (shared by copies).
struct leadpipe::email_validator::tables {
  std::string disposable_arena;         // backing bytes of `disposable`
  email_detail::sv_set disposable;      // lower-case A-label domains
  std::string suffix_arena;             // backing bytes of `icann_suffixes`
  email_detail::sv_set icann_suffixes;  // ICANN PSL rules (A-labels, wildcards as parent)
  email_detail::sv_map<std::uint8_t> local_flags;  // role / placeholder local parts
  email_detail::sv_map<std::string_view> typos;    // typo domain -> suggested domain
  std::vector<std::pair<std::string_view, std::string_view>> reserved;  // (name, its last label)
  std::size_t longest_local_flag = 0;     // longer local parts skip the local_flags lookup
  std::size_t longest_typo = 0;           // longer domains skip the typos lookup
  const icu::Normalizer2* nfc = nullptr;  // ICU singleton, thread-safe const use
};

namespace leadpipe::email_detail {

using tables = email_validator::tables;

/// Loaders (email_data.cpp); throw std::runtime_error naming the file (and line) on failure.
void load_disposable(tables& t, const std::string& path);
void load_public_suffixes(tables& t, const std::string& path);
void load_static_tables(tables& t);

/// Converts a domain (UTF-8, any case) to lower-case A-labels with libidn2 (UTS #46
/// non-transitional, STD3). Returns the libidn2 return code (0 on success); appends to `out`.
int to_alabels(std::string_view domain, std::string& out);

/// Stage 5 (email_domain.cpp): checks `domain` (NFC, non-empty; `ascii` says whether it is pure
/// ASCII) and appends its lower-case A-label form to `out`. Returns email_reason::none on
/// success; on failure `out` holds junk past its old size. Thread-safe.
[[nodiscard]] email_reason check_domain(const tables& t, std::string_view domain, bool ascii,
                                        std::string& out);

/// True when `c` is an ASCII letter, digit or hyphen.
[[nodiscard]] constexpr bool is_ldh(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
}
[[nodiscard]] constexpr char ascii_lower(char c) noexcept {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + ('a' - 'A')) : c;
}

}  // namespace leadpipe::email_detail
