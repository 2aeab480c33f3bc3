#pragma once
// Fingerprint sets for the dedup and filter stages: identity keys are hashed to 128 bits (XXH3)
// and held in Boost's open-addressing flat tables, so tens of millions of entries stay compact.
//
// Cost and risk, measured in bench/ and stated in the README:
// - key_set: 16 bytes per slot plus 1 byte of metadata, at a load factor of at most 0.875
//   (Boost's maximum), so 18.3 bytes per entry at best and about 37 just after a rehash.
//   reserve() with the known count keeps it near the best case.
// - key_line_map (dedup): 24 bytes per slot (fingerprint + line) plus metadata.
// - False match: a row whose key is not in a set of N entries matches by chance with probability
//   at most N / 2^128. For 10^8 rows against 10^8 entries that is 10^16 / 3.4e38 < 3e-23, far
//   below the one-in-10^15 bound the product promises.

#include <cstdint>
#include <string_view>

#include <boost/unordered/unordered_flat_map.hpp>
#include <boost/unordered/unordered_flat_set.hpp>

namespace leadpipe {

/// A 128-bit XXH3 fingerprint of an identity key or a domain.
struct fingerprint {
  std::uint64_t lo = 0;
  std::uint64_t hi = 0;
  friend bool operator==(const fingerprint&, const fingerprint&) = default;
};

/// Fingerprint of `key` (seed 0, stable across runs and machines: caches store them). Thread-safe.
[[nodiscard]] fingerprint fingerprint_of(std::string_view key) noexcept;

/// The table's hash: the fingerprint is already uniformly distributed, so its low word is used
/// directly (marked avalanching so Boost adds no post-mixing).
struct fingerprint_hash {
  using is_avalanching = void;
  std::size_t operator()(const fingerprint& f) const noexcept {
    return static_cast<std::size_t>(f.lo);
  }
};

/// A set of fingerprints. Not thread-safe for writers; concurrent readers are fine.
using key_set = boost::unordered_flat_set<fingerprint, fingerprint_hash>;

/// Fingerprint -> first line number it was seen on (deduplication within a file).
using key_line_map = boost::unordered_flat_map<fingerprint, std::uint64_t, fingerprint_hash>;

/// Approximate heap bytes held by a table (slots plus metadata), for the report and benchmarks.
template <class Table>
[[nodiscard]] std::uint64_t table_bytes(const Table& t) {
  using value_type = typename Table::value_type;
  return static_cast<std::uint64_t>(t.bucket_count()) * (sizeof(value_type) + 1);
}

}  // namespace leadpipe
