#pragma once
// Buffered output files for every stage that writes rows (accepted leads, outcomes, rejects) and
// the CSV cell encoding they share, including the neutralisation of spreadsheet formulas.

#include <cstdint>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <string_view>

namespace leadpipe {

/// Thrown when an output file cannot be opened, written or closed (disk full, permissions):
/// fatal for the run. what() names the file and the system error.
class output_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// A file opened for writing through a large buffer. "-" means standard output. Not thread-safe.
/// The destructor flushes but swallows errors: call close() to learn about them.
class output_file {
 public:
  /// Opens (truncates) `path`. With `atomic`, writes go to `path.tmp` and close() renames it into
  /// place, so readers never see a half-written file. Throws output_error.
  explicit output_file(std::string path, bool atomic = false);
  /// Opens `path` for appending (resume); never atomic. Throws output_error.
  static output_file append_to(std::string path);
  output_file(output_file&& other) noexcept;
  output_file& operator=(output_file&&) = delete;
  output_file(const output_file&) = delete;
  output_file& operator=(const output_file&) = delete;
  ~output_file();

  /// Appends bytes; flushes to the OS when the buffer is full. Throws output_error.
  void write(std::string_view s) {
    if (buf_.size() + s.size() > kBufferSize) spill();
    if (s.size() > kBufferSize) {
      write_through(s);
    } else {
      buf_.append(s);
    }
  }
  /// The buffer the caller may append to directly (then call maybe_spill()).
  std::string& buffer() { return buf_; }
  void maybe_spill() {
    if (buf_.size() >= kBufferSize) spill();
  }
  /// Hands buffered bytes to the OS and, with `durable`, fsyncs. Throws output_error.
  void flush(bool durable = false);
  /// Flushes, closes and (atomic) renames into place. Throws output_error. Idempotent.
  void close();
  [[nodiscard]] const std::string& path() const { return path_; }
  /// Bytes of the file so far, buffered ones included (for append_to: from the file's start).
  [[nodiscard]] std::uint64_t size() const { return written_ + buf_.size(); }

 private:
  static constexpr std::size_t kBufferSize = std::size_t{1} << 20;
  output_file() = default;
  void spill();
  void write_through(std::string_view s);
  [[noreturn]] void fail(std::string_view what) const;

  std::string path_;
  std::string tmp_path_;
  std::FILE* file_ = nullptr;
  bool owns_ = false;
  std::string buf_;
  std::uint64_t written_ = 0;
};

/// Cuts the file at `path` to `size` bytes (a resumed import drops what its last durable
/// checkpoint does not cover). Throws output_error.
void truncate_file(const std::string& path, std::uint64_t size);

/// Appends one CSV cell (RFC 4180, comma-separated): quoted when it holds a comma, quote, CR, LF
/// or leading/trailing blank, with quotes doubled. When `neutralise` is true a cell a spreadsheet
/// would evaluate as a formula (starting with `=`, `@`, TAB, CR, or `+`/`-` followed by anything
/// but a plain number or phone number) gets a leading `'`, the convention spreadsheets honour.
void append_csv_cell(std::string& out, std::string_view cell, bool neutralise = true);

/// True when `cell` would be run as a formula by a spreadsheet (see append_csv_cell).
[[nodiscard]] bool looks_like_formula(std::string_view cell) noexcept;

}  // namespace leadpipe
