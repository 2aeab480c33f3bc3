#pragma once
// Seeded, portable pseudo-random numbers for leadpipe-gen: splitmix64 streams keyed by
// (seed, row index), so any row can be regenerated on its own without replaying the file.

#include <cstddef>
#include <cstdint>

namespace leadpipe::leadgen {

/// The splitmix64 finaliser: a bijective 64-bit mix. Pure, thread-safe.
[[nodiscard]] constexpr std::uint64_t mix64(std::uint64_t x) noexcept {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return x;
}

/// A probability p in [0, 1] as a threshold on 53-bit uniform draws: `draw53() < t` happens with
/// probability p, exactly 1 for p = 1 and exactly 0 for p = 0.
[[nodiscard]] constexpr std::uint64_t probability_threshold(double p) noexcept {
  if (p <= 0.0) return 0;
  if (p >= 1.0) return std::uint64_t{1} << 53;
  return static_cast<std::uint64_t>(p * 9007199254740992.0);  // 2^53
}

/// A splitmix64 stream. Same state, same sequence on every platform. A value type; not shared.
class splitmix64 {
 public:
  explicit constexpr splitmix64(std::uint64_t state) noexcept : state_(state) {}

  /// A stream for `index` under `key`: starts are hashed so neighbouring rows do not share draws.
  [[nodiscard]] static constexpr splitmix64 for_index(std::uint64_t key,
                                                      std::uint64_t index) noexcept {
    return splitmix64(mix64(key ^ mix64(index + 0x632be59bd9b4e019ULL)));
  }

  constexpr std::uint64_t next() noexcept {
    state_ += 0x9e3779b97f4a7c15ULL;
    return mix64(state_);
  }
  /// Uniform in [0, 2^53).
  constexpr std::uint64_t draw53() noexcept { return next() >> 11; }
  /// True with the probability encoded by `threshold` (see probability_threshold).
  constexpr bool chance(std::uint64_t threshold) noexcept { return draw53() < threshold; }
  /// Uniform in [0, n); n must be > 0. The modulo bias (< n / 2^64) is irrelevant here.
  constexpr std::uint64_t below(std::uint64_t n) noexcept { return next() % n; }
  /// Uniform index into a container of size n (n > 0, fits 32 bits).
  constexpr std::uint32_t pick(std::size_t n) noexcept {
    return static_cast<std::uint32_t>(below(static_cast<std::uint64_t>(n)));
  }

 private:
  std::uint64_t state_;
};

}  // namespace leadpipe::leadgen
