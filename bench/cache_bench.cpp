// leadpipe_cache_bench: loading a sync cache of N entries (default 10 million: 3M block-list
// addresses, 5M campaign members, 2M other campaigns' members) from a file into the hash sets
// the import probes. Checks every key came back before printing the README's table row.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include <sys/resource.h>
#include <unistd.h>

#include "leadpipe/sync_cache.hpp"

using namespace leadpipe;

namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

fingerprint synthetic(std::uint64_t i) {
  // The fingerprints of real keys: XXH3-128 of distinct strings.
  return fingerprint_of("lead" + std::to_string(i) + "@bench.example");
}

}  // namespace

int main(int argc, char** argv) {
  const std::uint64_t n = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 10'000'000;
  const std::uint64_t block = n * 3 / 10;
  const std::uint64_t members = n / 2;
  const std::uint64_t others = n - block - members;
  sync_cache c;
  c.base_url = "https://127.0.0.1:1/api/v1";
  c.account_id = "00000000000000000000000000000000";
  c.campaign_id = 1;
  const auto fill = [&](cache_set s, std::uint64_t from, std::uint64_t count) {
    c[s].fetched_at_ms = 1;
    c[s].keys.reserve(count);
    for (std::uint64_t i = from; i < from + count; ++i) c[s].keys.insert(synthetic(i));
  };
  fill(cache_set::blocked_emails, 0, block);
  fill(cache_set::existing, block, members);
  fill(cache_set::other_campaigns, block + members, others);
  const std::string path = (std::filesystem::temp_directory_path() /
                            ("leadpipe_cache_bench_" + std::to_string(::getpid()) + ".lpcache"))
                               .string();
  write_cache(path, c);
  const auto size = std::filesystem::file_size(path);
  c = sync_cache{};  // only the loaded copy is held while timing

  double best = 1e9;
  for (int round = 0; round < 3; ++round) {
    const auto t0 = std::chrono::steady_clock::now();
    auto loaded = read_cache(path, "https://127.0.0.1:1/api/v1", "00000000000000000000000000000000", 1);
    const double s = seconds_since(t0);
    if (!loaded) {
      std::fprintf(stderr, "cache_bench: %s\n", loaded.error().message().c_str());
      return 1;
    }
    // Check: every key that was written is found, in its set.
    for (std::uint64_t i = 0; i < n; i += 997) {
      const cache_set where = i < block ? cache_set::blocked_emails
                              : i < block + members ? cache_set::existing
                                                    : cache_set::other_campaigns;
      if (!(*loaded)[where].keys.contains(synthetic(i))) {
        std::fprintf(stderr, "cache_bench: key %llu missing\n", static_cast<unsigned long long>(i));
        return 1;
      }
    }
    best = std::min(best, s);
  }
  std::filesystem::remove(path);
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  std::printf("| sync cache load (read, checksum, build sets) | %.1f M entries, %.0f MB file | %.2f s | %.1f M entries/s | %.0f MB/s | %ld MB |\n",
              static_cast<double>(n) / 1e6, static_cast<double>(size) / 1e6, best,
              static_cast<double>(n) / best / 1e6, static_cast<double>(size) / best / 1e6,
              ru.ru_maxrss / 1024);
  return 0;
}
