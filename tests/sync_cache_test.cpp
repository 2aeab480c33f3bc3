// The sync cache's file format: round trip, and every kind of damage detected.
#include "leadpipe/sync_cache.hpp"

#include <filesystem>
#include <fstream>

#include <doctest/doctest.h>
#include <unistd.h>

using namespace leadpipe;
namespace fs = std::filesystem;

namespace {

sync_cache sample() {
  sync_cache c;
  c.base_url = "https://127.0.0.1:8443/api/v1";
  c.account_id = "0123456789abcdef0123456789abcdef";
  c.campaign_id = 42;
  c.client_id = 7;
  c.user_id = 3;
  for (std::size_t i = 0; i < cache_set_count; ++i) {
    cached_set& s = c.sets[i];
    s.fetched_at_ms = i == 2 ? 0 : 1'767'605'400'000 + static_cast<std::int64_t>(i);
    s.server_entries = 100 * i;
    for (std::size_t k = 0; k < 50 * i; ++k) {
      s.keys.insert(fingerprint_of("key" + std::to_string(i) + "-" + std::to_string(k)));
    }
  }
  return c;
}

fs::path temp_dir() {
  static int n = 0;
  const fs::path d = fs::temp_directory_path() /
                     ("leadpipe_cache_test_" + std::to_string(::getpid()) + "_" + std::to_string(n++));
  fs::create_directories(d);
  return d;
}

}  // namespace

TEST_CASE("a cache round-trips through its bytes") {
  const sync_cache c = sample();
  const std::string bytes = serialise_cache(c);
  auto back = parse_cache(bytes);
  REQUIRE(back.has_value());
  CHECK(back->base_url == c.base_url);
  CHECK(back->account_id == c.account_id);
  CHECK(back->campaign_id == 42);
  CHECK(back->client_id == std::optional<std::int64_t>(7));
  CHECK(back->user_id == 3);
  for (std::size_t i = 0; i < cache_set_count; ++i) {
    CAPTURE(i);
    CHECK(back->sets[i].fetched_at_ms == c.sets[i].fetched_at_ms);
    CHECK(back->sets[i].server_entries == c.sets[i].server_entries);
    CHECK(back->sets[i].keys.size() == c.sets[i].keys.size());
    for (const fingerprint& f : c.sets[i].keys) CHECK(back->sets[i].keys.contains(f));
  }
  CHECK_FALSE(back->sets[2].fetched());
  CHECK(back->sets[1].age_seconds(1'767'605'401'001) == doctest::Approx(1.0));
  sync_cache no_client = c;
  no_client.client_id.reset();
  auto nc = parse_cache(serialise_cache(no_client));
  REQUIRE(nc.has_value());
  CHECK_FALSE(nc->client_id.has_value());
}

TEST_CASE("every truncation and every flipped byte is refused") {
  const std::string bytes = serialise_cache(sample());
  for (std::size_t n = 0; n < bytes.size(); n += (n < 200 ? 1 : 97)) {
    CAPTURE(n);
    CHECK_FALSE(parse_cache(std::span<const char>(bytes.data(), n)).has_value());
  }
  for (std::size_t i = 0; i < bytes.size(); i += (i < 200 ? 1 : 89)) {
    CAPTURE(i);
    std::string d = bytes;
    d[i] = static_cast<char>(d[i] ^ 0x5A);
    CHECK_FALSE(parse_cache(d).has_value());
  }
  std::string longer = bytes + "x";
  CHECK_FALSE(parse_cache(longer).has_value());
}

TEST_CASE("the reasons are told apart") {
  const std::string bytes = serialise_cache(sample());
  CHECK(parse_cache(std::string("hello")).error() == make_error_code(cache_errc::not_a_cache));
  std::string v = bytes;
  v[8] = 2;
  CHECK(parse_cache(v).error() == make_error_code(cache_errc::foreign_version));
  CHECK(parse_cache(std::span<const char>(bytes.data(), bytes.size() - 20)).error() ==
        make_error_code(cache_errc::truncated));
  std::string flipped = bytes;
  flipped[bytes.size() - 30] = static_cast<char>(flipped[bytes.size() - 30] ^ 1);
  CHECK(parse_cache(flipped).error() == make_error_code(cache_errc::corrupt));
}

TEST_CASE("files: atomic write, owner check, missing file, distinct names") {
  const fs::path dir = temp_dir();
  const sync_cache c = sample();
  const std::string path = cache_path((dir / "sub").string(), c.base_url, c.account_id, 42);
  CHECK(path.find("-42.lpcache") != std::string::npos);
  CHECK(read_cache(path, c.base_url, c.account_id, 42).error() ==
        make_error_code(cache_errc::missing));
  write_cache(path, c);  // creates the directory
  std::size_t files = 0;
  for (const auto& e : fs::directory_iterator(dir / "sub")) {
    (void)e;
    ++files;
  }
  CHECK(files == 1);  // no temporary file left behind
  auto back = read_cache(path, c.base_url, c.account_id, 42);
  REQUIRE(back.has_value());
  CHECK(back->sets[4].keys.size() == 200);
  CHECK(read_cache(path, "https://other.example/api/v1", c.account_id, 42).error() ==
        make_error_code(cache_errc::other_owner));
  CHECK(read_cache(path, c.base_url, c.account_id, 43).error() ==
        make_error_code(cache_errc::other_owner));
  // Names differ by URL, account and campaign; the key itself is never part of a name.
  CHECK(cache_path("d", "u1", "a", 1) != cache_path("d", "u2", "a", 1));
  CHECK(cache_path("d", "u1", "a", 1) != cache_path("d", "u1", "b", 1));
  CHECK(cache_path("d", "u1", "a", 1) != cache_path("d", "u1", "a", 2));
  CHECK(cache_path("d", "u1", "a", 1) == cache_path("d", "u1", "a", 1));
  // Keys folded for --fold-provider-aliases live in a cache of their own.
  CHECK(cache_path("d", "u1", "a", 1, true) != cache_path("d", "u1", "a", 1));
  CHECK(cache_path("d", "u1", "a", 1, true).ends_with("-1-folded.lpcache"));
  fs::remove_all(dir);
}
