// Fuzz target "cache": the sync cache's file format (sync_cache.hpp: parse_cache and
// serialise_cache).
//
// Input: 1 mode byte, then:
//   mode&3 == 0  a cache file's bytes as they are
//   mode&3 == 1  a cache file whose trailing XXH3-64 the harness rewrites, so the fuzzer reaches
//                the checks behind the checksum
//   otherwise    a cache described by the bytes (see build_cache), serialised by the harness;
//                two more bytes choose a byte to flip and a length to cut it to
//
// Promises checked: an accepted file serialises to a file that parses to the same cache; what
// serialise_cache writes parses back to what was given; a serialised cache with one byte
// changed, or cut short, is refused ("a damaged file is detected, never trusted").
#include <algorithm>
#include <cstring>

#include <xxhash.h>

#include <fmt/format.h>

#include "fuzz_entries.hpp"
#include "leadpipe/sync_cache.hpp"

namespace leadpipe::fuzz {
namespace {

std::string with_checksum(std::string_view body) {
  std::string out(body.substr(0, body.size() < 8 ? 0 : body.size() - 8));
  const std::uint64_t h = XXH3_64bits(out.data(), out.size());
  char bytes[8];
  std::memcpy(bytes, &h, sizeof bytes);  // little-endian, as the format stores it
  out.append(bytes, sizeof bytes);
  return out;
}

bool same_keys(const key_set& a, const key_set& b) {
  return a.size() == b.size() &&
         std::all_of(a.begin(), a.end(), [&](const fingerprint& f) { return b.contains(f); });
}

bool same_cache(const sync_cache& a, const sync_cache& b) {
  if (a.base_url != b.base_url || a.account_id != b.account_id || a.campaign_id != b.campaign_id ||
      a.client_id != b.client_id || a.user_id != b.user_id) {
    return false;
  }
  for (std::size_t i = 0; i < cache_set_count; ++i) {
    const cached_set& x = a.sets[i];
    const cached_set& y = b.sets[i];
    if (x.fetched_at_ms != y.fetched_at_ms || x.server_entries != y.server_entries ||
        !same_keys(x.keys, y.keys)) {
      return false;
    }
  }
  return true;
}

std::uint64_t take_u64(input_reader& in, unsigned bytes) {
  std::uint64_t v = 0;
  for (unsigned i = 0; i < bytes; ++i) v |= std::uint64_t{in.take()} << (8 * i);
  return v;
}

// A cache within the format's documented domain: a 32-character account id, a base URL of at
// most 255 bytes, fetch times >= 0.
sync_cache build_cache(input_reader& in) {
  sync_cache c;
  const unsigned url_len = in.take();
  for (unsigned i = 0; i < url_len && !in.rest().empty(); ++i) {
    c.base_url += static_cast<char>(in.take());
  }
  c.account_id = fmt::format("{:032x}", take_u64(in, 8));
  c.campaign_id = static_cast<std::int64_t>(take_u64(in, 8));
  if ((in.take() & 1U) != 0) c.client_id = static_cast<std::int64_t>(take_u64(in, 4));
  c.user_id = static_cast<std::int64_t>(take_u64(in, 4));
  for (auto& s : c.sets) {
    s.fetched_at_ms = static_cast<std::int64_t>(take_u64(in, 7));
    s.server_entries = take_u64(in, 2);
    const unsigned n = in.take() % 32U;
    for (unsigned i = 0; i < n; ++i) {
      // Few distinct bytes so repeats (and the all-zero fingerprint) come up often.
      const std::uint64_t lo = take_u64(in, 2);
      s.keys.insert(fingerprint{lo, lo * 0x9E3779B97F4A7C15ULL});
    }
  }
  return c;
}

class cache_target final : public target {
 public:
  void run(std::span<const std::uint8_t> input) override {
    input_reader in(input);
    const unsigned mode = in.take() & 3U;
    if (mode >= 2) {
      run_roundtrip(in);
      return;
    }
    const std::string file = mode == 1 ? with_checksum(in.rest()) : std::string(in.rest());
    const auto c = parse_cache(file);
    if (!c) {
      check(c.error().category() == cache_category(), "parse_cache failed outside its category");
      return;
    }
    const std::string again = serialise_cache(*c);
    const auto back = parse_cache(again);
    check(back.has_value() && same_cache(*c, *back),
          "an accepted cache does not survive serialise_cache and parse_cache");
    check(again.size() == file.size(), "an accepted cache re-serialises to another size");
  }

 private:
  static void run_roundtrip(input_reader& in) {
    const sync_cache c = build_cache(in);
    const std::string file = serialise_cache(c);
    const auto back = parse_cache(file);
    check(back.has_value(),
          fmt::format("a serialised cache is refused: {}", back ? "" : back.error().message()));
    check(same_cache(c, *back), "a serialised cache reads back different");

    std::string damaged = file;
    const std::size_t at = (in.take() | std::size_t{in.take()} << 8) % damaged.size();
    const auto flip = static_cast<char>(in.take() | 1U);  // never 0: the byte must change
    damaged[at] = static_cast<char>(damaged[at] ^ flip);
    check(!parse_cache(damaged).has_value(),
          fmt::format("a cache with byte {} of {} changed is accepted", at, file.size()));
    const std::size_t cut = (in.take() | std::size_t{in.take()} << 8) % file.size();
    check(!parse_cache(std::string_view(file).substr(0, cut)).has_value(),
          fmt::format("a cache cut to {} of {} bytes is accepted", cut, file.size()));
  }
};

}  // namespace

std::unique_ptr<target> make_cache_target() { return std::make_unique<cache_target>(); }

}  // namespace leadpipe::fuzz
