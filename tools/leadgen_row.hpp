#pragma once
// Row planning for leadpipe-gen: what row i of a generated file is (its kind and every draw that
// shapes it) as a pure function of (seed, rates, i), and the address such a row carries. Purity
// is what lets duplicates and companion lists regenerate earlier addresses instead of storing them.

#include <cstdint>
#include <string>
#include <string_view>

namespace leadpipe::leadgen {

/// What a row is made to be. Kinds are exclusive; their precedence under leadpipe's validation
/// is documented in leadgen_generate.hpp.
enum class row_kind : std::uint8_t {
  valid,        ///< a plain valid address (may still be hit by a companion list)
  role,         ///< role local part (`info@`), flag `role`, kept by default
  disposable,   ///< domain on the disposable list, dropped by default
  placeholder,  ///< placeholder local part (`test@`), dropped by default
  invalid,      ///< an address from invalid_templates()
  missing,      ///< empty email cell
  duplicate,    ///< repeats an earlier row's identity key (its own address is a fallback only)
  extra_field,  ///< one non-empty field too many
  short_row,    ///< fewer fields than the header (at least two)
};

/// Per-row probabilities in [0, 1]. The exclusive ones (all but multiline and unicode) must sum
/// to at most 1; validate that before constructing a planner.
struct row_rates {
  double duplicate = 0.0;
  double invalid = 0.0;
  double missing = 0.0;
  double risky = 0.0;
  double role = 0.0;
  double multiline = 0.0;
  double extra_column = 0.0;
  double short_row = 0.0;
  double unicode = 0.0;
};

/// Every draw that shapes one row. Indices refer to the tables of leadgen_data.hpp.
struct row_plan {
  std::uint64_t index = 0;  ///< 0-based data row; the address carries index + 1
  row_kind kind = row_kind::valid;
  bool unicode = false;      ///< names and place from the non-ASCII tables
  bool idn = false;          ///< address on an IDN domain (only for kinds with a normal address)
  bool freemail = false;     ///< address on a personal-mail domain (never with idn)
  bool multiline = false;    ///< Notes carries newlines, quotes and delimiters
  bool capitalised = false;  ///< `John.Smith12` rather than `john.smith12`
  std::uint8_t local_style = 0;
  std::uint32_t first = 0;
  std::uint32_t last = 0;
  std::uint32_t place = 0;
  std::uint32_t title = 0;
  std::uint32_t company = 0;
  std::uint32_t note = 0;
  std::uint32_t field_count = 0;  ///< number of fields written (header width +1 / -k for malformed)
  std::uint32_t choice = 0;       ///< picks the domain / role / placeholder / invalid form
  std::uint64_t noise = 0;        ///< bits for the cosmetic columns (phone, URLs, custom fields)
};

/// Computes row plans. Immutable after construction; plan() is pure and thread-safe.
class row_planner {
 public:
  /// `columns` is the header width (>= 4). Rates are taken as given (see row_rates).
  row_planner(std::uint64_t seed, const row_rates& rates, std::uint32_t columns) noexcept;

  [[nodiscard]] row_plan plan(std::uint64_t index) const noexcept;
  [[nodiscard]] std::uint64_t seed_key() const noexcept { return seed_key_; }

 private:
  std::uint64_t seed_key_;
  std::uint32_t columns_;
  // Cumulative 53-bit thresholds of the exclusive kinds, in row_kind order of the draw.
  std::uint64_t extra_, short_, missing_, invalid_, duplicate_, risky_, role_;
  std::uint64_t multiline_, unicode_;
};

/// True when rows of this plan carry a normal address built from the person's name (kinds
/// valid, duplicate, extra_field, short_row).
[[nodiscard]] bool has_person_address(const row_plan& p) noexcept;
/// True when the address's domain is ASCII (every kind except IDN person addresses).
[[nodiscard]] bool has_ascii_domain(const row_plan& p) noexcept;
/// True when the address's domain is the company's pool domain (so a domain block entry for
/// that company matches it exactly).
[[nodiscard]] bool uses_company_domain(const row_plan& p) noexcept;

/// Appends the address the row carries, exactly as written to the email cell (nothing for
/// `missing`). For `duplicate` this is the row's own fallback address, used when the file has no
/// earlier row to repeat yet. Distinct rows never produce the same identity key, except through
/// duplicate variants. Thread-safe.
void append_address(std::string& out, const row_plan& p);

/// Appends a spelling of `address` (a generated valid address) that differs in bytes but has the
/// same identity key: letter case changed in the local part, and for ASCII domains possibly in
/// the domain, optionally wrapped in spaces. `bits` chooses the variation.
void append_duplicate_variant(std::string& out, std::string_view address, bool ascii_domain,
                              std::uint64_t bits);

}  // namespace leadpipe::leadgen
