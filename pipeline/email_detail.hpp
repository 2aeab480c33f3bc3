#pragma once
// Internals of the validate stage shared by pipeline/email*.cpp: the immutable tables built at
// construction and the per-stage helpers. Not part of the public contract (see email.hpp).

#include "leadpipe/email.hpp"

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
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

/// How stage 8's provider folding treats a domain's local parts.
enum class fold_kind : std::uint8_t {
  none,      ///< kept as they are
  gmail,     ///< gmail.com / googlemail.com: dots and +tag dropped, domain gmail.com
  plus_tag,  ///< +tag dropped (plus_tag_domains(), hotmail.* and live.* over a public suffix)
};

/// All the policy says about one domain, a pure function of the tables and the domain's bytes:
/// stage 5's verdict and the domain's share of stages 7 and 8.
struct domain_facts {
  std::string_view typo_suggestion;          ///< static storage; set with risk::typo
  email_reason reason = email_reason::none;  ///< stage 5; the rest is set only when none
  std::uint8_t flags = 0;                    ///< risk::typo and risk::disposable
  fold_kind fold = fold_kind::none;
};

/// Stage 5 and the domain's risk flags and folding (email_memo.cpp): check_domain(), then, on
/// success, the typo, disposable and provider lookups on the A-label form appended to `out`.
[[nodiscard]] domain_facts domain_stage(const tables& t, std::string_view domain, bool ascii,
                                        std::string& out);

/// A memory of the domains one email_result saw last (email_memo.cpp), so that a domain seen
/// again costs a hash and a compare instead of five table lookups, or two libidn2 calls for a
/// non-ASCII one. Two-way set-associative with LRU replacement: 8192 short ASCII domains in
/// 64-byte entries (512 KB), 1024 others. It holds the tables it was filled from. Not
/// thread-safe (it belongs to one email_result).
class domain_memo {
 public:
  explicit domain_memo(std::shared_ptr<const tables> owner);
  [[nodiscard]] const tables* owner() const noexcept { return owner_.get(); }
  /// domain_stage(), answered from memory when `domain` was seen recently: same facts, same
  /// bytes appended to `out` on success.
  [[nodiscard]] domain_facts lookup(std::string_view domain, bool ascii, std::string& out);
  /// Starts loading the entry lookup() would read first for `domain` (as given in the cell).
  void prefetch(std::string_view domain) const noexcept;

 private:
  // An ASCII domain, keyed by its lower-case form, which is also its A-label when valid. The
  // form is zero-padded to 32 bytes, so that two 16-byte compares settle a match: a domain
  // holds no NUL (stage 2 rejects it before the domain stage), so equal padded bytes mean
  // equal domains, and all zero means free.
  struct short_entry {
    alignas(16) char bytes[32] = {};
    domain_facts facts;
  };
  static_assert(sizeof(short_entry) == 64);
  // Any other domain (non-ASCII, or longer than short_entry holds), keyed by its bytes as given.
  struct long_entry {
    std::uint64_t hash = 0;
    bool used = false;
    std::string domain;
    std::string alabel;  // what domain_stage() appended (on success)
    domain_facts facts;
  };

  domain_facts lookup_short(std::string_view domain, std::string& out);
  domain_facts lookup_long(std::string_view domain, bool ascii, std::string& out);

  std::shared_ptr<const tables> owner_;
  std::vector<short_entry> short_;  // sets of two: [2k] most recently used, [2k + 1] the other
  std::vector<long_entry> long_;
};

/// What the fast path learns of a cell in one pass (email_fast.cpp).
struct plain_cell {
  /// The position of the one `@` of a plain cell (ASCII letters, digits, `.` `-` `_` `+` and
  /// exactly one `@`, not ending with `.`), or npos. Stages 0 to 2 provably pass such a cell
  /// unchanged: it is ASCII (stage 0); it has no blank, quote, `mailto:` or `>` to repair, no
  /// `(` `=` `&` `%` separator or bracket, and no trailing punctuation (stage 1); no control or
  /// space (stage 2). So the validator may go straight to stage 3 with it.
  std::size_t at = std::string_view::npos;
  /// The position of the cell's first "..", or npos (set only for a plain cell).
  std::size_t dots = std::string_view::npos;
};

/// Classifies `s` for the fast path. Thread-safe.
[[nodiscard]] plain_cell plain_at(std::string_view s) noexcept;

/// Stage 4 for the local part (non-empty) of a plain cell, whose every byte is allowed there:
/// only the dot and length rules can fail, in the full check's order. `doubled_dot`: the local
/// part holds "..". Thread-safe.
[[nodiscard]] email_reason check_plain_local(std::string_view local, bool doubled_dot) noexcept;

/// True when `c` is an ASCII letter, digit or hyphen.
[[nodiscard]] constexpr bool is_ldh(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
}
[[nodiscard]] constexpr char ascii_lower(char c) noexcept {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + ('a' - 'A')) : c;
}

/// Writes `n` bytes of `in` to `out` with A-Z lower-cased (other bytes, UTF-8 ones included,
/// unchanged); `out` may equal `in`. Eight bytes at a time: addresses are short, so this beats
/// both the byte loop and SIMD set-up. Thread-safe.
inline void lower_ascii(const char* in, std::size_t n, char* out) noexcept {
  constexpr std::uint64_t low7 = 0x7F7F7F7F7F7F7F7FULL;
  constexpr std::uint64_t high = 0x8080808080808080ULL;
  // In each byte below 0x80, bit 7 of (b + 0x3F) ^ (b + 0x25) is set exactly for 'A'..'Z'; bit 5
  // set makes a letter lower-case. No byte carries into the next (0x7F + 0x3F < 0x100).
  const auto lower8 = [](std::uint64_t w) {
    const std::uint64_t a = w & low7;
    const std::uint64_t upper =
        ((a + 0x3F3F3F3F3F3F3F3FULL) ^ (a + 0x2525252525252525ULL)) & ~w & high;
    return w | (upper >> 2);
  };
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    std::uint64_t w;
    std::memcpy(&w, in + i, 8);
    w = lower8(w);
    std::memcpy(out + i, &w, 8);
  }
  for (; i < n; ++i) out[i] = ascii_lower(in[i]);
}

}  // namespace leadpipe::email_detail
