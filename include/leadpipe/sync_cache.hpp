#pragma once
// The sync cache: local copies of the sets the server consults on import (block list, campaign
// members, unsubscribed leads, other campaigns' members), one file per API base URL, account and
// campaign, in a versioned binary format that loads tens of millions of fingerprints in well
// under a second. Written to a temporary file and renamed; a damaged file is detected, never
// trusted.
//
// File layout (little-endian, version 1):
//   "LPCACHE\n" (8 bytes) | u32 version | u32 set count | i64 campaign id | u8 has client id |
//   i64 client id | i64 user id | u32 url length | url bytes | 32 bytes account id (hex) |
//   per set: u8 kind | i64 fetched_at (epoch ms, 0 = never) | u64 server entries | u64 count |
//            count x 16-byte fingerprints (lo, hi) |
//   u64 XXH3-64 of every byte before it.

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include <boost/system/result.hpp>

#include "leadpipe/keyset.hpp"
#include "leadpipe/rate_limiter.hpp"

namespace leadpipe {

/// Current version of the cache format; a file of another version is rebuilt.
inline constexpr std::uint32_t sync_cache_version = 1;

/// The cached sets. Each is fetched (and aged) on its own.
enum class cache_set : std::uint8_t {
  existing = 0,         ///< members of the campaign (§6.2)
  blocked_emails = 1,   ///< block-list address entries that apply to the campaign (§6.10)
  blocked_domains = 2,  ///< block-list domain entries that apply to the campaign
  unsubscribed = 3,     ///< leads the API shows as unsubscribed (§5 note)
  other_campaigns = 4,  ///< members of the account's other campaigns
};
inline constexpr std::size_t cache_set_count = 5;

/// "existing", "blocked_emails", ...
[[nodiscard]] std::string_view name(cache_set s) noexcept;

/// One cached set: fingerprints (identity keys, or A-label domains) and when they were fetched.
struct cached_set {
  std::int64_t fetched_at_ms = 0;    ///< system clock, epoch ms; 0 = never fetched
  std::uint64_t server_entries = 0;  ///< entries the server listed (before dedup and scoping)
  key_set keys;
  [[nodiscard]] bool fetched() const { return fetched_at_ms != 0; }
  /// Age in seconds at `now_ms`; nullopt when never fetched.
  [[nodiscard]] std::optional<double> age_seconds(std::int64_t now_ms) const;
};

/// A campaign's cache. Plain data; not thread-safe for writers.
struct sync_cache {
  std::string base_url;     ///< canonical base URL (endpoint::url())
  std::string account_id;   ///< 32 hex digits derived from the API key (never the key itself)
  std::int64_t campaign_id = 0;
  std::optional<std::int64_t> client_id;  ///< the campaign's client (block-list scoping)
  std::int64_t user_id = 0;                ///< the account, as the campaign names it
  std::array<cached_set, cache_set_count> sets;

  [[nodiscard]] cached_set& operator[](cache_set s) { return sets[static_cast<std::size_t>(s)]; }
  [[nodiscard]] const cached_set& operator[](cache_set s) const {
    return sets[static_cast<std::size_t>(s)];
  }
};

/// Why a cache file was not used.
enum class cache_errc {
  missing = 1,       ///< no file
  unreadable,        ///< it exists but cannot be read
  not_a_cache,       ///< wrong magic
  foreign_version,   ///< another format version
  truncated,         ///< ends before its sets do
  corrupt,           ///< checksum mismatch or impossible values
  other_owner,       ///< another base URL, account or campaign (a hash collision of the name)
};
[[nodiscard]] const boost::system::error_category& cache_category() noexcept;
[[nodiscard]] boost::system::error_code make_error_code(cache_errc e) noexcept;

/// Serialises `c` in the current format. Thread-safe for distinct caches.
[[nodiscard]] std::string serialise_cache(const sync_cache& c);

/// Parses a whole cache file's bytes. Never trusts the input: every length is checked against
/// the bytes left, the checksum is verified before any set is built. Thread-safe.
[[nodiscard]] boost::system::result<sync_cache> parse_cache(std::span<const char> bytes);

/// Reads and parses the file at `path`, checking it belongs to (base_url, account_id,
/// campaign_id). Thread-safe.
[[nodiscard]] boost::system::result<sync_cache> read_cache(const std::string& path,
                                                           std::string_view base_url,
                                                           std::string_view account_id,
                                                           std::int64_t campaign_id);

/// Writes `c` to `path` atomically: a temporary file in the same directory, fsync, rename.
/// Creates the directory. Throws output_error (naming the path) when it cannot.
void write_cache(const std::string& path, const sync_cache& c);

/// The file name of a cache: "<16 hex of XXH3(base_url, account_id)>-<campaign>.lpcache" under
/// `dir`, "...-<campaign>-folded.lpcache" for keys folded by --fold-provider-aliases (a set of
/// one kind would miss or falsely match keys of the other). Thread-safe.
[[nodiscard]] std::string cache_path(const std::string& dir, std::string_view base_url,
                                     std::string_view account_id, std::int64_t campaign_id,
                                     bool folded = false);

/// The default cache directory: $XDG_CACHE_HOME/leadpipe, else ~/.cache/leadpipe, else
/// ./.leadpipe-cache.
[[nodiscard]] std::string default_cache_dir();

}  // namespace leadpipe

namespace boost::system {
template <>
struct is_error_code_enum<leadpipe::cache_errc> : std::true_type {};
}  // namespace boost::system
