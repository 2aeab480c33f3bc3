#pragma once
// Fingerprint sets for the dedup and filter stages: identity keys are hashed to 128 bits (XXH3)
// and held in open-addressing tables of 64-byte buckets that a caller can prefetch ahead of a
// batch of probes, so tens of millions of entries stay compact and a probe costs one cache line.
//
// Cost and risk, measured in bench/ and stated in the README:
// - key_set: 4 fingerprints per 64-byte bucket plus 1 byte of overflow bits per bucket, i.e.
//   16.25 bytes per slot. reserve(n) sizes it for n entries at a load of 0.8 (20.3 bytes per
//   entry); it grows by doubling past a load of 0.875 (so 18.6 to 37 bytes per entry without
//   reserve()).
// - key_line_map (dedup): 3 fingerprints, their 40-bit line numbers and the overflow bits per
//   64-byte bucket, 21.3 bytes per slot; 26.7 bytes per entry at a load of 0.8.
// - False match: a row whose key is not in a set of N entries matches by chance with probability
//   at most N / 2^128. For 10^8 rows against 10^8 entries that is 10^16 / 3.4e38 < 3e-23, far
//   below the one-in-10^15 bound the product promises.
//
// Probing: a fingerprint's home bucket comes from its high word; a full bucket sends an insert
// on along a fixed sequence (steps 1, 2, ... 8, then 1) and records, in one of 8 overflow bits
// picked by the low word, that some key of that kind went past. A lookup stops at the first
// bucket that holds the key, has a free slot, or lacks the key's overflow bit: at a load of 0.8
// that is 1.2 buckets on average for a key that is absent, 1.3 (key_line_map: 1.4) for one that
// is present. prefetch() asks for the home bucket and the next one. Tables of 2 MiB and more sit
// on transparent huge pages (allocate_zeroed), so random probes do not also miss the TLB.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <iterator>
#include <string_view>
#include <utility>

namespace leadpipe {

/// A 128-bit XXH3 fingerprint of an identity key or a domain.
struct fingerprint {
  std::uint64_t lo = 0;
  std::uint64_t hi = 0;
  friend bool operator==(const fingerprint&, const fingerprint&) = default;
};

/// Fingerprint of `key` (seed 0, stable across runs and machines: caches store them). Thread-safe.
[[nodiscard]] fingerprint fingerprint_of(std::string_view key) noexcept;

namespace keyset_detail {

/// The bucket of key_set: four fingerprints, filled from the front ({0,0} marks a free slot).
struct alignas(64) set_bucket {
  static constexpr unsigned slots = 4;
  static constexpr bool inline_overflow = false;  // no room: the bits live in a side array
  fingerprint key[slots];
};

/// The bucket of key_line_map: three fingerprints and their line numbers (low 32 bits, high 8).
/// Its 64th byte holds the bucket's overflow bits.
struct alignas(64) line_bucket {
  static constexpr unsigned slots = 3;
  static constexpr bool inline_overflow = true;
  fingerprint key[slots];
  std::uint32_t line_lo[slots];
  std::uint8_t line_hi[slots];
  std::uint8_t overflow;
};
static_assert(sizeof(set_bucket) == 64 && sizeof(line_bucket) == 64);

/// Asks for the cache line at `p`. Not __builtin_prefetch: GCC counts it as free of side
/// effects, deduces that a function made only of prefetches is pure, and deletes the calls to it
/// (server_sets::prefetch compiled to a bare `ret`). A volatile asm cannot be deleted.
inline void prefetch_line(const void* p) noexcept {
#if defined(__x86_64__) || defined(__i386__)
  asm volatile("prefetcht0 %0" : : "m"(*static_cast<const char*>(p)));
#else
  __builtin_prefetch(p);
  asm volatile("" : : "r"(p));  // the same guard: a use the optimiser must keep
#endif
}

/// Zero-filled memory for the tables (keyset.cpp). Large blocks come straight from the kernel,
/// 2 MiB-aligned and marked for transparent huge pages: the tables are probed at random, and
/// with 4 KiB pages nearly every probe of a table of hundreds of megabytes would also miss the
/// TLB (measured: 1.3 s of CPU on the 10M-row benchmark). Throws std::bad_alloc. Thread-safe.
[[nodiscard]] void* allocate_zeroed(std::size_t bytes);
/// Returns memory from allocate_zeroed(bytes). Thread-safe.
void release_zeroed(void* p, std::size_t bytes) noexcept;

/// `n` zero-initialised objects of an implicit-lifetime type, in allocate_zeroed() memory.
/// Copies are deep; moves steal.
template <class T>
class zeroed_array {
 public:
  zeroed_array() = default;
  explicit zeroed_array(std::size_t n)
      : p_(n == 0 ? nullptr : static_cast<T*>(allocate_zeroed(n * sizeof(T)))), n_(n) {}
  zeroed_array(const zeroed_array& other) : zeroed_array(other.n_) {
    if (n_ != 0) std::memcpy(static_cast<void*>(p_), other.p_, n_ * sizeof(T));
  }
  zeroed_array(zeroed_array&& other) noexcept
      : p_(std::exchange(other.p_, nullptr)), n_(std::exchange(other.n_, 0)) {}
  zeroed_array& operator=(zeroed_array other) noexcept {
    std::swap(p_, other.p_);
    std::swap(n_, other.n_);
    return *this;
  }
  ~zeroed_array() {
    if (p_ != nullptr) release_zeroed(p_, n_ * sizeof(T));
  }

  [[nodiscard]] std::size_t size() const noexcept { return n_; }
  [[nodiscard]] bool empty() const noexcept { return n_ == 0; }
  [[nodiscard]] T& operator[](std::size_t i) noexcept { return p_[i]; }
  [[nodiscard]] const T& operator[](std::size_t i) const noexcept { return p_[i]; }
  [[nodiscard]] const T* begin() const noexcept { return p_; }
  [[nodiscard]] const T* end() const noexcept { return p_ + n_; }

 private:
  T* p_ = nullptr;
  std::size_t n_ = 0;
};

/// Where a fingerprint is (found) or where the probe that missed it stopped.
struct slot_ref {
  std::size_t bucket = 0;
  unsigned slot = 0;
  bool found = false;
};

/// The open-addressing table both public types are built on. Not thread-safe for writers;
/// concurrent readers are fine. The all-zero fingerprint (free-slot marker) is kept aside.
template <class Bucket>
class table {
 public:
  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  [[nodiscard]] std::size_t slot_count() const noexcept { return buckets_.size() * Bucket::slots; }
  [[nodiscard]] std::uint64_t memory_bytes() const noexcept {
    return buckets_.size() * (sizeof(Bucket) + (Bucket::inline_overflow ? 0 : 1));
  }

  // The bucket's line and, when they live apart, its overflow bits: nearly half the probes of a
  // key that is absent find the home bucket full and read them.
  void prefetch(const fingerprint& f) const noexcept {
    if (buckets_.empty()) return;
    const std::size_t pos = home(f);
    prefetch_line(&buckets_[pos]);
    if (pos + 1 < buckets_.size()) prefetch_line(&buckets_[pos + 1]);
    if constexpr (!Bucket::inline_overflow) prefetch_line(&overflow_[pos]);
  }

  // The fingerprint's slot, or where a lookup gave up (found == false). `f` must not be zero.
  [[nodiscard]] slot_ref find(const fingerprint& f) const noexcept {
    if (buckets_.empty()) return {};
    std::size_t pos = home(f);
    const std::uint8_t bit = overflow_bit(f);
    for (unsigned step = 1;; ++step) {
      const Bucket& b = buckets_[pos];
      for (unsigned s = 0; s < Bucket::slots; ++s) {
        if (b.key[s] == f) return {pos, s, true};
        if (is_free(b.key[s])) return {pos, s, false};
      }
      if ((overflow(pos) & bit) == 0) return {pos, 0, false};
      pos = advance(pos, step);
    }
  }

  // Adds `f` (not zero, and absent: `miss` is what find(f) returned) and returns its slot; grows
  // first when the load would pass 7/8. Overflow bits are set in every full bucket passed.
  slot_ref insert_new(const fingerprint& f, const slot_ref& miss) {
    if (size_ + 1 > max_size_) {
      grow(buckets_.empty() ? min_buckets : 2 * buckets_.size());
    } else if (miss.bucket == home(f) && is_free(buckets_[miss.bucket].key[miss.slot])) {
      // The usual case: a free slot in the home bucket, which find() already has in cache.
      buckets_[miss.bucket].key[miss.slot] = f;
      ++size_;
      return miss;
    }
    ++size_;
    return place(f);
  }

  // Sizes the table for `n` entries at a load of 0.8; never shrinks.
  void reserve(std::size_t n) {
    const std::size_t per_bucket = Bucket::slots * 4;  // slots at a load of 0.8, times 5
    const std::size_t want = (n * 5 + per_bucket - 1) / per_bucket;
    if (want > buckets_.size()) grow(want);
  }

  void clear() noexcept {
    buckets_ = {};
    overflow_ = {};
    size_ = 0;
    max_size_ = 0;
  }

  [[nodiscard]] Bucket& bucket(std::size_t i) noexcept { return buckets_[i]; }
  [[nodiscard]] const Bucket& bucket(std::size_t i) const noexcept { return buckets_[i]; }
  [[nodiscard]] std::size_t bucket_total() const noexcept { return buckets_.size(); }
  void count_zero() noexcept { ++size_; }

  [[nodiscard]] static bool is_free(const fingerprint& f) noexcept { return (f.lo | f.hi) == 0; }

 private:
  static constexpr std::size_t min_buckets = 4;

  [[nodiscard]] std::size_t home(const fingerprint& f) const noexcept {
    // Multiply-shift maps the uniform high word onto any bucket count without a division.
    __extension__ using u128 = unsigned __int128;
    return static_cast<std::size_t>((static_cast<u128>(f.hi) * buckets_.size()) >> 64);
  }
  [[nodiscard]] std::uint8_t& overflow(std::size_t pos) noexcept {
    if constexpr (Bucket::inline_overflow) {
      return buckets_[pos].overflow;
    } else {
      return overflow_[pos];
    }
  }
  [[nodiscard]] std::uint8_t overflow(std::size_t pos) const noexcept {
    if constexpr (Bucket::inline_overflow) {
      return buckets_[pos].overflow;
    } else {
      return overflow_[pos];
    }
  }
  [[nodiscard]] static std::uint8_t overflow_bit(const fingerprint& f) noexcept {
    return static_cast<std::uint8_t>(1U << (f.lo & 7U));
  }
  [[nodiscard]] std::size_t advance(std::size_t pos, unsigned step) const noexcept {
    // Growing steps break up clusters; from the 9th on, step 1 visits every bucket in the end.
    pos += step <= 8 ? step : 1;
    while (pos >= buckets_.size()) pos -= buckets_.size();
    return pos;
  }

  // Puts `f` in the first free slot of its probe sequence (the caller knows it is absent).
  slot_ref place(const fingerprint& f) noexcept {
    std::size_t pos = home(f);
    for (unsigned step = 1;; ++step) {
      Bucket& b = buckets_[pos];
      for (unsigned s = 0; s < Bucket::slots; ++s) {
        if (is_free(b.key[s])) {
          b.key[s] = f;
          return {pos, s, false};
        }
      }
      overflow(pos) |= overflow_bit(f);
      pos = advance(pos, step);
    }
  }

  // Rebuilds the table with `bucket_count` buckets (keyset.cpp instantiates both kinds).
  void grow(std::size_t bucket_count);

  zeroed_array<Bucket> buckets_;
  zeroed_array<std::uint8_t> overflow_;  // empty when the buckets hold their own bits
  std::size_t size_ = 0;      // entries, the zero fingerprint included
  std::size_t max_size_ = 0;  // 7/8 of the slots
};

}  // namespace keyset_detail

/// A set of fingerprints. Not thread-safe for writers; concurrent readers are fine. Copyable and
/// movable; memory is held in two arrays (buckets, overflow bits).
class key_set {
 public:
  using value_type = fingerprint;
  class const_iterator;
  using iterator = const_iterator;

  /// Adds `f`; returns true when it was not there yet. May grow the table (bad_alloc).
  bool insert(const fingerprint& f);
  /// True when `f` is in the set.
  [[nodiscard]] bool contains(const fingerprint& f) const noexcept {
    return keyset_detail::table<keyset_detail::set_bucket>::is_free(f) ? has_zero_
                                                                       : t_.find(f).found;
  }
  /// Hints the CPU to load the cache line contains(f) or insert(f) will read first; cheap,
  /// no effect on the contents. Issue it a few dozen probes ahead to overlap memory latency.
  void prefetch(const fingerprint& f) const noexcept { t_.prefetch(f); }
  /// Sizes the table for `n` entries (see the header comment); never shrinks.
  void reserve(std::size_t n) { t_.reserve(n); }
  /// Removes every entry and frees the memory.
  void clear() noexcept {
    t_.clear();
    has_zero_ = false;
  }
  [[nodiscard]] std::size_t size() const noexcept { return t_.size(); }
  [[nodiscard]] bool empty() const noexcept { return t_.size() == 0; }
  /// Slots allocated (entries that fit before the next growth: 7/8 of them).
  [[nodiscard]] std::size_t bucket_count() const noexcept { return t_.slot_count(); }
  /// Heap bytes held (buckets and overflow bits).
  [[nodiscard]] std::uint64_t memory_bytes() const noexcept { return t_.memory_bytes(); }

  /// Iteration in table order (unspecified), each entry once. Invalidated by insert().
  [[nodiscard]] const_iterator begin() const noexcept;
  [[nodiscard]] const_iterator end() const noexcept;

 private:
  keyset_detail::table<keyset_detail::set_bucket> t_;
  bool has_zero_ = false;
};

/// Forward iterator over a key_set's fingerprints.
class key_set::const_iterator {
 public:
  using iterator_category = std::forward_iterator_tag;
  using value_type = fingerprint;
  using difference_type = std::ptrdiff_t;
  using pointer = const fingerprint*;
  using reference = const fingerprint&;

  const_iterator() = default;
  reference operator*() const noexcept { return *at_; }
  pointer operator->() const noexcept { return at_; }
  const_iterator& operator++() noexcept {
    settle(pos_ + 1);
    return *this;
  }
  const_iterator operator++(int) noexcept {
    const_iterator old = *this;
    ++*this;
    return old;
  }
  friend bool operator==(const const_iterator& a, const const_iterator& b) noexcept {
    return a.pos_ == b.pos_;
  }

 private:
  friend class key_set;
  // Position 0 is the zero fingerprint (when held); slot i of the table is position i + 1.
  const_iterator(const key_set* s, std::size_t pos) noexcept : set_(s) { settle(pos); }
  void settle(std::size_t pos) noexcept;

  const key_set* set_ = nullptr;
  std::size_t pos_ = 0;
  const fingerprint* at_ = nullptr;
};

/// Fingerprint -> first line number it was seen on (deduplication within a file). Lines are
/// stored in 40 bits (up to 1.1e12). Not thread-safe for writers; concurrent readers are fine.
class key_line_map {
 public:
  /// The line stored for a key and whether this call stored it.
  struct emplace_result {
    std::uint64_t line = 0;
    bool inserted = false;
  };
  /// Largest line number that can be stored.
  static constexpr std::uint64_t max_line = (std::uint64_t{1} << 40) - 1;

  /// Stores `line` for `f` unless `f` is there already; returns the line kept (the first one).
  /// Throws std::out_of_range when `line` > max_line; may grow the table (bad_alloc).
  emplace_result try_emplace(const fingerprint& f, std::uint64_t line);
  /// Hints the CPU to load the cache line try_emplace(f) will write; see key_set::prefetch.
  void prefetch(const fingerprint& f) const noexcept { t_.prefetch(f); }
  /// Sizes the table for `n` entries at a load of 0.8; never shrinks.
  void reserve(std::size_t n) { t_.reserve(n); }
  [[nodiscard]] std::size_t size() const noexcept { return t_.size(); }
  [[nodiscard]] bool empty() const noexcept { return t_.size() == 0; }
  /// Slots allocated.
  [[nodiscard]] std::size_t bucket_count() const noexcept { return t_.slot_count(); }
  /// Heap bytes held (buckets and overflow bits).
  [[nodiscard]] std::uint64_t memory_bytes() const noexcept { return t_.memory_bytes(); }

 private:
  keyset_detail::table<keyset_detail::line_bucket> t_;
  bool has_zero_ = false;
  std::uint64_t zero_line_ = 0;
};

/// Heap bytes held by a table (buckets plus metadata), for the report and benchmarks.
template <class Table>
[[nodiscard]] std::uint64_t table_bytes(const Table& t) {
  return t.memory_bytes();
}

}  // namespace leadpipe
