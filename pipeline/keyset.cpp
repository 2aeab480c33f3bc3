#include "leadpipe/keyset.hpp"

#include <sys/mman.h>

#include <cstdint>
#include <new>
#include <stdexcept>
#include <utility>

#define XXH_INLINE_ALL
#include <xxhash.h>

namespace leadpipe {

fingerprint fingerprint_of(std::string_view key) noexcept {
  const XXH128_hash_t h = XXH3_128bits(key.data(), key.size());
  return fingerprint{h.low64, h.high64};
}

namespace keyset_detail {
namespace {

constexpr std::size_t huge_page = std::size_t{2} << 20;

}  // namespace

void* allocate_zeroed(std::size_t bytes) {
  if (bytes < huge_page) {
    void* p = ::operator new(bytes, std::align_val_t{64});
    std::memset(p, 0, bytes);
    return p;
  }
  // Map one huge page more than needed and trim it off, so that the block starts on a 2 MiB
  // boundary and all of it can be backed by huge pages. The kernel's pages come zeroed.
  const std::size_t size = (bytes + huge_page - 1) / huge_page * huge_page;
  void* raw =
      ::mmap(nullptr, size + huge_page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (raw == MAP_FAILED) throw std::bad_alloc();
  const auto at = reinterpret_cast<std::uintptr_t>(raw);
  const std::uintptr_t aligned = (at + huge_page - 1) / huge_page * huge_page;
  if (aligned > at) ::munmap(raw, aligned - at);
  const std::uintptr_t tail = aligned + size;
  if (at + size + huge_page > tail) {
    ::munmap(reinterpret_cast<void*>(tail), at + size + huge_page - tail);
  }
  // A hint: without it (or where the kernel has no huge pages) the table still works.
  (void)::madvise(reinterpret_cast<void*>(aligned), size, MADV_HUGEPAGE);
  return reinterpret_cast<void*>(aligned);
}

void release_zeroed(void* p, std::size_t bytes) noexcept {
  if (bytes < huge_page) {
    ::operator delete(p, std::align_val_t{64});
    return;
  }
  ::munmap(p, (bytes + huge_page - 1) / huge_page * huge_page);
}

template <class Bucket>
void table<Bucket>::grow(std::size_t bucket_count) {
  table next;
  next.buckets_ = zeroed_array<Bucket>(bucket_count);
  if constexpr (!Bucket::inline_overflow) next.overflow_ = zeroed_array<std::uint8_t>(bucket_count);
  next.size_ = size_;
  next.max_size_ = bucket_count * Bucket::slots * 7 / 8;
  for (const Bucket& b : buckets_) {
    // Slots fill from the front, so the first free one ends the bucket.
    for (unsigned s = 0; s < Bucket::slots && !is_free(b.key[s]); ++s) {
      const slot_ref r = next.place(b.key[s]);
      if constexpr (requires { b.line_lo; }) {
        next.buckets_[r.bucket].line_lo[r.slot] = b.line_lo[s];
        next.buckets_[r.bucket].line_hi[r.slot] = b.line_hi[s];
      }
    }
  }
  *this = std::move(next);
}

template void table<set_bucket>::grow(std::size_t);
template void table<line_bucket>::grow(std::size_t);

}  // namespace keyset_detail

bool key_set::insert(const fingerprint& f) {
  if (keyset_detail::table<keyset_detail::set_bucket>::is_free(f)) {
    // {0,0} marks free slots, so the one key that equals it is held aside.
    if (has_zero_) return false;
    has_zero_ = true;
    t_.count_zero();
    return true;
  }
  const keyset_detail::slot_ref r = t_.find(f);
  if (r.found) return false;
  (void)t_.insert_new(f, r);
  return true;
}

key_set::const_iterator key_set::begin() const noexcept { return {this, 0}; }
key_set::const_iterator key_set::end() const noexcept {
  return {this, t_.bucket_total() * keyset_detail::set_bucket::slots + 1};
}

void key_set::const_iterator::settle(std::size_t pos) noexcept {
  constexpr unsigned slots = keyset_detail::set_bucket::slots;
  static constexpr fingerprint zero{};
  const std::size_t end = set_->t_.bucket_total() * slots + 1;
  if (pos == 0) {
    if (set_->has_zero_) {
      pos_ = 0;
      at_ = &zero;
      return;
    }
    pos = 1;
  }
  for (; pos < end; ++pos) {
    const fingerprint& f = set_->t_.bucket((pos - 1) / slots).key[(pos - 1) % slots];
    if (!keyset_detail::table<keyset_detail::set_bucket>::is_free(f)) {
      pos_ = pos;
      at_ = &f;
      return;
    }
  }
  pos_ = end;
  at_ = nullptr;
}

key_line_map::emplace_result key_line_map::try_emplace(const fingerprint& f, std::uint64_t line) {
  if (line > max_line) {
    throw std::out_of_range("key_line_map: line number over 2^40 - 1");
  }
  if (keyset_detail::table<keyset_detail::line_bucket>::is_free(f)) {
    if (has_zero_) return {zero_line_, false};
    has_zero_ = true;
    zero_line_ = line;
    t_.count_zero();
    return {line, true};
  }
  keyset_detail::slot_ref r = t_.find(f);
  if (r.found) {
    const keyset_detail::line_bucket& b = t_.bucket(r.bucket);
    return {(std::uint64_t{b.line_hi[r.slot]} << 32) | b.line_lo[r.slot], false};
  }
  r = t_.insert_new(f, r);
  keyset_detail::line_bucket& b = t_.bucket(r.bucket);
  b.line_lo[r.slot] = static_cast<std::uint32_t>(line);
  b.line_hi[r.slot] = static_cast<std::uint8_t>(line >> 32);
  return {line, true};
}

}  // namespace leadpipe
