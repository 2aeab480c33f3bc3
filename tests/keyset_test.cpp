#include "leadpipe/keyset.hpp"

#include <doctest/doctest.h>

#include <cstdint>
#include <map>
#include <random>
#include <set>
#include <stdexcept>
#include <utility>
#include <vector>

using leadpipe::fingerprint;
using leadpipe::key_line_map;
using leadpipe::key_set;

namespace {

std::vector<fingerprint> random_fingerprints(std::size_t n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<fingerprint> out(n);
  for (auto& f : out) f = {rng(), rng()};
  return out;
}

// Fingerprints that share a home bucket (same high word) so that they overflow into the probe
// sequence; the low words differ and spread over the overflow bits.
std::vector<fingerprint> colliding_fingerprints(std::size_t n, std::uint64_t hi) {
  std::vector<fingerprint> out;
  for (std::size_t i = 0; i < n; ++i) out.push_back({0x9E3779B97F4A7C15ULL * (i + 1), hi});
  return out;
}

std::set<std::pair<std::uint64_t, std::uint64_t>> contents(const key_set& s) {
  std::set<std::pair<std::uint64_t, std::uint64_t>> out;
  for (const fingerprint& f : s) CHECK(out.emplace(f.lo, f.hi).second);  // each entry once
  return out;
}

}  // namespace

TEST_CASE("fingerprint_of is XXH3-128 with seed 0, stable across runs") {
  const fingerprint f = leadpipe::fingerprint_of("jane@example.org");
  CHECK(f == leadpipe::fingerprint_of("jane@example.org"));
  CHECK_FALSE(f == leadpipe::fingerprint_of("jane@example.com"));
  // The empty string's XXH3-128 (seed 0); xxhsum -H2 prints 99aa06d3014798d86001c324468d497f.
  const fingerprint e = leadpipe::fingerprint_of("");
  CHECK(e.hi == 0x99aa06d3014798d8ULL);
  CHECK(e.lo == 0x6001c324468d497fULL);
}

TEST_CASE("key_set: insert, contains and size against a reference set") {
  key_set s;
  CHECK(s.empty());
  CHECK_FALSE(s.contains({1, 2}));  // lookups on an unallocated table
  const auto keys = random_fingerprints(50'000, 1);
  for (std::size_t i = 0; i < keys.size(); ++i) {
    CHECK(s.insert(keys[i]));
    if (i % 7 == 0) CHECK_FALSE(s.insert(keys[i / 2]));  // already there
  }
  CHECK(s.size() == keys.size());
  for (const auto& k : keys) CHECK(s.contains(k));
  for (const auto& k : random_fingerprints(50'000, 2)) CHECK_FALSE(s.contains(k));
  CHECK(contents(s).size() == keys.size());
}

TEST_CASE("key_set: keys that share a home bucket spill over and are all found") {
  key_set s;
  s.reserve(64);
  const auto same_home = colliding_fingerprints(40, 0x8000000000000000ULL);
  for (const auto& k : same_home) CHECK(s.insert(k));
  for (const auto& k : same_home) CHECK(s.contains(k));
  // The same home, absent: the probe follows the overflow bits, then stops.
  const auto more = colliding_fingerprints(80, 0x8000000000000000ULL);
  for (std::size_t i = 0; i < more.size(); ++i) CHECK(s.contains(more[i]) == (i < 40));
  CHECK_FALSE(s.contains({12345, 0x8000000000000000ULL}));
  CHECK(s.size() == 40);
}

TEST_CASE("key_set: the all-zero fingerprint is a key like any other") {
  key_set s;
  CHECK_FALSE(s.contains({0, 0}));
  CHECK(s.insert({0, 0}));
  CHECK_FALSE(s.insert({0, 0}));
  CHECK(s.insert({0, 1}));
  CHECK(s.insert({1, 0}));
  CHECK(s.contains({0, 0}));
  CHECK(s.size() == 3);
  const auto c = contents(s);
  CHECK(c.count({0, 0}) == 1);
  CHECK(c.count({0, 1}) == 1);
  CHECK(c.count({1, 0}) == 1);
}

TEST_CASE("key_set: growth keeps every key; reserve() avoids it") {
  key_set grown;
  const auto keys = random_fingerprints(100'000, 3);
  for (const auto& k : keys) grown.insert(k);
  for (const auto& k : keys) CHECK(grown.contains(k));

  key_set reserved;
  reserved.reserve(keys.size());
  const std::size_t slots = reserved.bucket_count();
  CHECK(slots >= keys.size() * 5 / 4);  // a load of at most 0.8 once full
  for (const auto& k : keys) reserved.insert(k);
  CHECK(reserved.bucket_count() == slots);  // no growth
  CHECK(reserved.memory_bytes() == slots / 4 * 65);
  CHECK(leadpipe::table_bytes(reserved) == reserved.memory_bytes());
  CHECK(contents(reserved) == contents(grown));
  reserved.clear();
  CHECK(reserved.empty());
  CHECK(reserved.memory_bytes() == 0);
  CHECK_FALSE(reserved.contains(keys[0]));
}

TEST_CASE("key_set: copies and moves are independent values") {
  key_set a;
  for (const auto& k : random_fingerprints(1000, 4)) a.insert(k);
  key_set b = a;
  b.insert({7, 7});
  CHECK_FALSE(a.contains({7, 7}));
  CHECK(b.size() == a.size() + 1);
  key_set c = std::move(b);
  CHECK(c.contains({7, 7}));
  CHECK(c.size() == 1001);
}

TEST_CASE("key_line_map: the first line wins and is returned on every later try") {
  key_line_map m;
  const auto keys = random_fingerprints(30'000, 5);
  for (std::size_t i = 0; i < keys.size(); ++i) {
    const auto r = m.try_emplace(keys[i], i + 2);
    CHECK(r.inserted);
    CHECK(r.line == i + 2);
  }
  for (std::size_t i = 0; i < keys.size(); i += 3) {
    const auto r = m.try_emplace(keys[i], 999'999'999);
    CHECK_FALSE(r.inserted);
    CHECK(r.line == i + 2);  // lines survive the growth that happened on the way
  }
  CHECK(m.size() == keys.size());
}

TEST_CASE("key_line_map: 40-bit line numbers, the zero key, colliding keys") {
  key_line_map m;
  m.reserve(10);
  CHECK(m.try_emplace({1, 1}, key_line_map::max_line).inserted);
  CHECK(m.try_emplace({1, 1}, 5).line == key_line_map::max_line);
  CHECK(m.try_emplace({2, 1}, std::uint64_t{1} << 32).inserted);
  CHECK(m.try_emplace({2, 1}, 5).line == std::uint64_t{1} << 32);
  CHECK_THROWS_AS((void)m.try_emplace({3, 1}, key_line_map::max_line + 1), std::out_of_range);
  CHECK(m.try_emplace({0, 0}, 17).inserted);
  CHECK(m.try_emplace({0, 0}, 18).line == 17);
  std::map<std::uint64_t, std::uint64_t> want;
  for (const auto& k : colliding_fingerprints(50, 42)) {
    want[k.lo] = k.lo % 1000;
    CHECK(m.try_emplace(k, k.lo % 1000).inserted);
  }
  for (const auto& k : colliding_fingerprints(50, 42)) {
    CHECK(m.try_emplace(k, 1).line == want[k.lo]);
  }
  CHECK(m.size() == 53);
}

TEST_CASE("prefetch is a hint only") {
  key_set s;
  key_line_map m;
  s.prefetch({1, 2});  // unallocated tables: no effect
  m.prefetch({1, 2});
  s.insert({1, 2});
  m.try_emplace({1, 2}, 3);
  s.prefetch({1, 2});
  m.prefetch({5, 6});
  CHECK(s.contains({1, 2}));
  CHECK(m.try_emplace({1, 2}, 4).line == 3);
}
