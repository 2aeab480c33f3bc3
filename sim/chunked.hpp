#pragma once
// Stable-address storage for the simulator's big tables (leads, memberships): elements live in
// fixed-size chunks, so push_back never moves an element and costs one allocation per chunk
// rather than per element (std::deque allocates per element once T exceeds 512 bytes).

#include <cstddef>
#include <iterator>
#include <vector>

namespace leadpipe::sim {

/// A growable sequence with stable element addresses. Copies are deep. Not thread-safe.
template <typename T, std::size_t ChunkSize = 1024>
class chunked_vector {
 public:
  template <bool Const>
  class basic_iterator {
   public:
    using iterator_category = std::bidirectional_iterator_tag;
    using value_type = T;
    using difference_type = std::ptrdiff_t;
    using owner = std::conditional_t<Const, const chunked_vector, chunked_vector>;
    using reference = std::conditional_t<Const, const T&, T&>;
    using pointer = std::conditional_t<Const, const T*, T*>;

    basic_iterator() = default;
    basic_iterator(owner* o, std::size_t i) : owner_(o), index_(i) {}
    reference operator*() const { return (*owner_)[index_]; }
    pointer operator->() const { return &(*owner_)[index_]; }
    basic_iterator& operator++() { ++index_; return *this; }
    basic_iterator operator++(int) { auto old = *this; ++index_; return old; }
    basic_iterator& operator--() { --index_; return *this; }
    basic_iterator operator--(int) { auto old = *this; --index_; return old; }
    friend bool operator==(const basic_iterator& a, const basic_iterator& b) {
      return a.index_ == b.index_;
    }

   private:
    owner* owner_ = nullptr;
    std::size_t index_ = 0;
  };
  using iterator = basic_iterator<false>;
  using const_iterator = basic_iterator<true>;

  chunked_vector() = default;
  chunked_vector(const chunked_vector& other) { append_all(other); }
  chunked_vector& operator=(const chunked_vector& other) {
    if (this != &other) {
      clear();
      append_all(other);
    }
    return *this;
  }
  chunked_vector(chunked_vector&&) noexcept = default;
  chunked_vector& operator=(chunked_vector&&) noexcept = default;
  ~chunked_vector() = default;

  T& push_back(T value) {
    if (chunks_.empty() || chunks_.back().size() == ChunkSize) {
      chunks_.emplace_back().reserve(ChunkSize);
    }
    ++size_;
    return chunks_.back().emplace_back(std::move(value));
  }
  T& operator[](std::size_t i) { return chunks_[i / ChunkSize][i % ChunkSize]; }
  const T& operator[](std::size_t i) const { return chunks_[i / ChunkSize][i % ChunkSize]; }
  T& back() { return chunks_.back().back(); }
  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  [[nodiscard]] bool empty() const noexcept { return size_ == 0; }
  void clear() {
    chunks_.clear();
    size_ = 0;
  }

  iterator begin() { return {this, 0}; }
  iterator end() { return {this, size_}; }
  const_iterator begin() const { return {this, 0}; }
  const_iterator end() const { return {this, size_}; }
  std::reverse_iterator<const_iterator> rbegin() const { return std::reverse_iterator(end()); }
  std::reverse_iterator<const_iterator> rend() const { return std::reverse_iterator(begin()); }

 private:
  void append_all(const chunked_vector& other) {
    for (const auto& chunk : other.chunks_) {
      for (const auto& v : chunk) push_back(v);
    }
  }

  std::vector<std::vector<T>> chunks_;
  std::size_t size_ = 0;
};

}  // namespace leadpipe::sim
