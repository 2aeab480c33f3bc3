#pragma once
// leadpipe-gen's driver: writes a lead CSV (plus optional companion lists and an expectation
// file) in one streaming pass, and counts the exact outcome leadpipe's default validation must
// give each row. Output depends only on the options: same options, same bytes, on every machine.

#include <cstdint>
#include <string>

#include "leadgen_output.hpp"
#include "leadgen_row.hpp"

namespace leadpipe::leadgen {

/// A companion list: `count` address lines, a `hit_rate` share of them being generated rows'
/// valid addresses (identity-key form), the rest non-matching fillers. Off when `path` is empty.
struct list_options {
  std::string path;
  std::uint64_t count = 0;
  double hit_rate = 0.0;
};

/// Everything that shapes the output. Plain data.
struct gen_options {
  std::uint64_t rows = 1000;
  std::uint64_t seed = 1;
  std::string out = "-";       ///< "-" = standard output
  std::uint32_t columns = 15;  ///< >= 4; past 15 the header continues "Custom 1", ...
  row_rates rates;
  char delimiter = ',';  ///< ',' ';' '\t' or '|'
  bool crlf = false;
  bool bom = false;
  bool gzip = false;  ///< also implied by `out` ending in ".gz"
  int gzip_level = 6;
  list_options block;  ///< emails, plus `block_domain_count` domain lines
  std::uint32_t block_domain_count = 0;
  list_options unsubscribed;
  list_options existing;         ///< addresses already in the campaign
  std::string expect_path;       ///< expectation JSON; off when empty
  std::string sim_fixture_path;  ///< simulator fixture built from the lists; off when empty
  std::int64_t campaign_id = 0;  ///< the fixture's campaign (required with sim_fixture_path)
};

/// Outcome counts in leadpipe's precedence order, and the risk flags of rows that reach the
/// risk check (valid addresses that are not duplicates).
struct outcome_counts {
  std::uint64_t malformed_row = 0;
  std::uint64_t missing_email = 0;
  std::uint64_t invalid_email = 0;
  std::uint64_t duplicate_in_file = 0;
  std::uint64_t dropped_risky = 0;
  std::uint64_t already_in_campaign = 0;
  std::uint64_t blocked = 0;
  std::uint64_t unsubscribed = 0;
  std::uint64_t accepted = 0;
  std::uint64_t flag_role = 0;
  std::uint64_t flag_disposable = 0;
  std::uint64_t flag_placeholder = 0;

  [[nodiscard]] std::uint64_t total() const noexcept {
    return malformed_row + missing_email + invalid_email + duplicate_in_file + dropped_risky +
           already_in_campaign + blocked + unsubscribed + accepted;
  }
};

/// What a run produced.
struct gen_summary {
  std::uint64_t rows = 0;
  outcome_counts outcomes;
  std::uint64_t csv_bytes = 0;      ///< uncompressed bytes of the CSV, header and BOM included
  std::uint64_t eligible_rows = 0;  ///< rows that could be list hits (0 when no list was asked)
  std::uint64_t block_hits = 0;
  std::uint64_t unsubscribed_hits = 0;
  std::uint64_t existing_hits = 0;
};

/// Checks ranges and combinations (rates in [0, 1] whose exclusive ones sum to at most 1,
/// columns >= 4, a supported delimiter, list counts without paths, ...). The message names the
/// flag (`--invalid-rate: ...`). Thread-safe.
[[nodiscard]] gen_result<> validate_options(const gen_options& options);

/// Validates the options, then writes every requested file (the CSV, the lists, the expectation,
/// the simulator fixture). Fails with a message naming the file
/// on an I/O error (files already written are left as they are). Memory stays bounded whatever
/// the row and list counts (a fixed reservoir of earlier rows plus output buffers). Thread-safe
/// for distinct output paths.
[[nodiscard]] gen_result<gen_summary> generate(const gen_options& options);

/// The expectation JSON for a summary: {"rows", "outcomes": {...}, "flags": {...}}. Thread-safe.
[[nodiscard]] std::string expect_json(const gen_summary& summary);

/// Rows the duplicate reservoir holds at most (8 bytes each).
inline constexpr std::size_t duplicate_reservoir_capacity = std::size_t{1} << 18;

}  // namespace leadpipe::leadgen
