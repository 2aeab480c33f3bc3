#pragma once
// Buffered output files for every stage that writes rows (accepted leads, outcomes, rejects) and
// the CSV cell encoding they share, including the neutralisation of spreadsheet formulas.

#include <cstdint>
#include <cstdio>
#include <cstring>
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
/// The destructor flushes but swallows errors: call close() to learn about them. An atomic file
/// destroyed without close() (a run that stopped on an error) is left under its .tmp name: an
/// earlier file at `path` is not replaced by a partial one.
class output_file {
 public:
  /// Opens (truncates) `path`. With `atomic`, writes go to `path.tmp` and close() renames it into
  /// place, so readers never see a half-written file; a path that exists and is not a regular
  /// file (/dev/null, a FIFO, /dev/stdout) is written in place instead. Throws output_error.
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
    if (pending() + s.size() > kBufferSize) spill();
    if (s.size() > kBufferSize) {
      write_through(s);
    } else if (raw_) {
      std::memcpy(buf_.data() + used_, s.data(), s.size());
      used_ += s.size();
    } else {
      buf_.append(s);
    }
  }
  /// The buffer the caller may append to directly (then call maybe_spill()).
  std::string& buffer() {
    if (raw_) leave_raw();
    return buf_;
  }
  /// Makes room for up to `max_bytes` more bytes after the buffered ones and returns where they
  /// start, for a writer that puts a whole row through a raw pointer (put_csv_cell()). Finish
  /// with commit(end of what was written); no other call on this file may come in between.
  /// Rows written this way cost no per-row resizing: the buffer is sized once and stays so until
  /// buffer() is called (switching back and forth per row would defeat that). Throws
  /// output_error (when it has to spill) or bad_alloc.
  [[nodiscard]] char* reserve(std::size_t max_bytes) {
    if (!raw_) enter_raw();
    if (used_ + max_bytes > buf_.size()) {
      spill();
      if (max_bytes > buf_.size()) buf_.resize(max_bytes);
    }
    return buf_.data() + used_;
  }
  /// Ends what reserve() began: `end` is one past the last byte written.
  void commit(const char* end) {
    used_ = static_cast<std::size_t>(end - buf_.data());
    if (used_ >= kBufferSize) spill();
  }
  void maybe_spill() {
    if (pending() >= kBufferSize) spill();
  }
  /// Hands buffered bytes to the OS and, with `durable`, fsyncs. Throws output_error.
  void flush(bool durable = false);
  /// Flushes, closes and (atomic) renames into place. Throws output_error. Idempotent.
  void close();
  [[nodiscard]] const std::string& path() const { return path_; }
  /// Bytes of the file so far, buffered ones included (for append_to: from the file's start).
  [[nodiscard]] std::uint64_t size() const { return written_ + pending(); }

 private:
  static constexpr std::size_t kBufferSize = std::size_t{128} << 10;
  output_file() = default;
  // Buffered bytes: the first used_ of buf_ in raw mode (reserve()), all of buf_ otherwise.
  [[nodiscard]] std::size_t pending() const { return raw_ ? used_ : buf_.size(); }
  void enter_raw();
  void leave_raw();
  void spill();
  void write_through(std::string_view s);
  [[noreturn]] void fail(std::string_view what) const;

  std::string path_;
  std::string tmp_path_;
  std::FILE* file_ = nullptr;
  bool owns_ = false;
  std::string buf_;
  std::size_t used_ = 0;  // raw mode only
  bool raw_ = false;
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

/// The most bytes one cell of `size` bytes can take once encoded: every byte a doubled quote,
/// plus two quotes and the formula mark.
[[nodiscard]] constexpr std::size_t csv_cell_bound(std::size_t size) noexcept {
  return 2 * size + 3;
}

/// Writes one cell exactly as append_csv_cell() would, at `out`, which must have room for
/// csv_cell_bound(cell.size()) bytes, and returns one past the last byte written. The common
/// cell (no special byte, no formula) costs one pass that checks and copies together.
/// Thread-safe (writes only `out`).
char* put_csv_cell(char* out, std::string_view cell, bool neutralise = true) noexcept;

/// put_csv_cell() without neutralise for a cell known to hold no comma, quote, CR or LF (an
/// unquoted field of a comma-separated record): a plain copy, quoted only when it starts or ends
/// with a space. Thread-safe.
char* put_plain_csv_value(char* out, std::string_view cell) noexcept;

/// True when `cell` would be run as a formula by a spreadsheet (see append_csv_cell).
[[nodiscard]] bool looks_like_formula(std::string_view cell) noexcept;

/// A cell as it was before append_csv_cell neutralised it: without the leading `'` when what
/// follows looks_like_formula ("'=cy@x.io" -> "=cy@x.io"); any other cell as it is. For reading
/// files leadpipe (or another tool that guards the same way) wrote. Thread-safe.
[[nodiscard]] inline std::string_view unguard_cell(std::string_view cell) noexcept {
  if (cell.size() >= 2 && cell.front() == '\'' && looks_like_formula(cell.substr(1))) {
    cell.remove_prefix(1);
  }
  return cell;
}

}  // namespace leadpipe
