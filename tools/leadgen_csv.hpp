#pragma once
// CSV rendering for leadpipe-gen: the header and one record per row plan, in the shape of lead
// database exports (Apollo / ZoomInfo / HubSpot column names), with RFC 4180 quoting.

#include <cstdint>
#include <string>
#include <string_view>

#include "leadgen_row.hpp"

namespace leadpipe::leadgen {

/// Number of named columns; wider headers continue with "Custom 1", "Custom 2", ...
inline constexpr std::uint32_t default_column_count = 15;
/// Index of the Email column (the same for every width >= 4).
inline constexpr std::uint32_t email_column = 2;

/// Writes header and records. Holds only its settings; const methods are thread-safe. Records
/// are appended to a caller-owned buffer.
class csv_writer {
 public:
  /// `columns` >= 4; `delimiter` one of `,` `;` `\t` `|`; `crlf` selects the line ending.
  csv_writer(std::uint32_t columns, char delimiter, bool crlf) noexcept
      : columns_(columns), delimiter_(delimiter), crlf_(crlf) {}

  /// Appends the header line (no BOM; the caller writes that first when wanted).
  void append_header(std::string& out) const;

  /// Appends one record. `person` gives the person, company and place columns; `email` is the
  /// Email cell as raw text (quoted here when needed); `shape` gives the field count, the notes
  /// and the cosmetic draws. For ordinary rows `person` and `shape` are the same plan; a
  /// duplicate row repeats its source's person with its own shape. `scratch` is reused storage.
  void append_record(std::string& out, const row_plan& person, std::string_view email,
                     const row_plan& shape, std::string& scratch) const;

  /// Appends `text` as one field, quoted (with doubled quotes) when it holds the delimiter, a
  /// quote, CR or LF.
  void append_field(std::string& out, std::string_view text) const;

  /// The column of the notes text: Notes when the header has it, else the last column.
  [[nodiscard]] std::uint32_t notes_column() const noexcept {
    return columns_ >= default_column_count ? default_column_count - 1 : columns_ - 1;
  }

 private:
  void append_cell(std::string& out, std::uint32_t column, const row_plan& person,
                   std::string_view email, const row_plan& shape, std::string& scratch) const;

  std::uint32_t columns_;
  char delimiter_;
  bool crlf_;
};

}  // namespace leadpipe::leadgen
