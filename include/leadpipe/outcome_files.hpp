#pragma once
// The row-by-row outputs every subcommand shares: the outcomes file (one line per input row) and
// the rejects file (every row not accepted, with its raw text). Cells are CSV-escaped and
// neutralised against spreadsheet formulas.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "leadpipe/outcome.hpp"
#include "leadpipe/output_file.hpp"

namespace leadpipe {

/// Column header of the outcomes file.
inline constexpr std::string_view outcomes_header = "line,email,outcome,reason,detail,flags,by,batch\n";
/// Column header of the rejects file.
inline constexpr std::string_view rejects_header = "line,offset,outcome,reason,detail,raw\n";

/// Names of the risk flags set in `flags` joined by '|' ("role|typo"), appended to `out`.
void append_flag_names(std::string& out, std::uint8_t flags);

/// One row's outcome, as the outcomes file and the rejects file record it. Views are borrowed
/// for the duration of the call.
struct row_result {
  std::uint64_t line = 0;
  std::uint64_t offset = 0;       ///< byte offset of the record in the decoded input
  std::string_view email;         ///< sent form, or the raw cell when not valid
  outcome what = outcome::accepted;
  std::string_view reason;        ///< machine code ("reserved_domain", "duplicate", ...)
  std::string_view detail;        ///< human sentence ("duplicate of line 12")
  std::uint8_t flags = 0;
  decided_by by = decided_by::local;
  std::uint64_t batch = 0;        ///< batch id for import outcomes, 0 when none
  std::string_view raw;           ///< raw record text (rejects only)
};

/// Writes the outcomes and rejects files; either may be absent. Not thread-safe.
class outcome_files {
 public:
  /// Opens the files (empty path: not written). A file whose `append_*` flag is set is opened
  /// for appending and gets no header (a resumed import continuing the earlier run's file).
  /// Throws output_error.
  outcome_files(const std::string& outcomes_path, const std::string& rejects_path,
                bool append_outcomes = false, bool append_rejects = false);

  /// Records one row. Rows whose outcome is accepted or added go to the outcomes file only.
  /// Bytes of the email cell or the raw text that are not UTF-8 are written as U+FFFD, so that
  /// both files are always UTF-8.
  void write(const row_result& r);
  /// Flushes both files to the OS (and to disk with `durable`). Throws output_error.
  void flush(bool durable = false);
  /// Flushes and closes. Throws output_error.
  void close();
  /// Sizes of the two files so far (0 for one not written), buffered bytes included.
  [[nodiscard]] std::uint64_t outcomes_size() const { return outcomes_ ? outcomes_->size() : 0; }
  [[nodiscard]] std::uint64_t rejects_size() const { return rejects_ ? rejects_->size() : 0; }

 private:
  std::optional<output_file> outcomes_;
  std::optional<output_file> rejects_;
  std::string repaired_;  // a cell that is not UTF-8, as written (U+FFFD for the bad bytes)
};

}  // namespace leadpipe
