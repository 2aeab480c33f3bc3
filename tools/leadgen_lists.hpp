#pragma once
// Companion lists for leadpipe-gen (block list, unsubscribed, already in the campaign): an exact
// number of hits drawn from the generated rows' valid addresses, written as the rows stream by,
// with non-matching filler addresses spread between them. Memory stays constant in the list size.

#include <cstdint>
#include <string>
#include <string_view>

#include "leadgen_output.hpp"
#include "leadgen_rng.hpp"

namespace leadpipe::leadgen {

/// Appends filler address number `k` of a list: `first.last.k@company.org`. The `.org` domains
/// and the dot before the number are shapes generated rows never have, so fillers never match a
/// row (by identity key or by domain). Thread-safe.
void append_filler_address(std::string& out, std::uint64_t list_key, std::uint64_t k);

/// One list being written. Hits are chosen by selection sampling: every eligible row is offered
/// once, in file order, and exactly `hits()` of them are taken. Owns its sink. Not thread-safe.
class list_writer {
 public:
  /// `count` lines of addresses in total, of which min(round(count * hit_rate), eligible) are
  /// hits; `eligible` is the number of rows that will be offered through draw().
  list_writer(output_sink sink, std::uint64_t count, double hit_rate, std::uint64_t eligible,
              std::uint64_t list_key);

  /// Decides whether the next eligible row is a hit. Call exactly once per eligible row.
  [[nodiscard]] bool draw() noexcept;

  /// Writes a hit as its identity key (`address` must have an ASCII domain), preceded by the
  /// fillers that fall before it. Fails on a write error.
  [[nodiscard]] gen_result<> write_hit(std::string_view address);

  /// Writes one verbatim line (a domain entry of the block list). Fails on a write error.
  [[nodiscard]] gen_result<> write_line(std::string_view line);

  /// Writes the remaining fillers and closes the file. Fails on a write or close error.
  [[nodiscard]] gen_result<> finish();

  [[nodiscard]] std::uint64_t hits() const noexcept { return hits_; }
  [[nodiscard]] std::uint64_t fillers() const noexcept { return fillers_; }

 private:
  [[nodiscard]] gen_result<> write_fillers_until(std::uint64_t target);

  output_sink sink_;
  splitmix64 rng_;
  std::uint64_t list_key_;
  std::uint64_t hits_;
  std::uint64_t fillers_;
  std::uint64_t eligible_;
  std::uint64_t offered_ = 0;
  std::uint64_t taken_ = 0;
  std::uint64_t written_hits_ = 0;
  std::uint64_t written_fillers_ = 0;
};

}  // namespace leadpipe::leadgen
