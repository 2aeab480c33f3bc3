#pragma once
// Stage 1b of the flow (source -> csv -> map -> ...): splits the UTF-8 stream of a byte_source
// into RFC 4180 records of borrowed field views, each with its line and byte offset. Bad rows
// become records with an error kind (the run continues); only a missing header stops it.
//
// Why our own block reader and not fast-cpp-csv-parser's io::LineReader. Measured with
// bench/csv_bench.cpp (seeded 1 GB, 15 columns, 8% quoted notes, some holding newlines; g++ 12
// -O2 on a shared 2-vCPU AMD EPYC VM, best of 3, file in the page cache): LineReader, splitting
// lines only, did 1740 MB per CPU-second (both its threads counted), 53 MB peak RSS; csv_reader,
// splitting whole records (quotes, fields, lines, offsets) with read(2) and xxh3 included, did
// 2270 MB per CPU-second on one thread in 6 MB. Wall-clock figures on the loaded machine were
// 760-1150 MB/s for LineReader and 990-1560 MB/s for csv_reader (1.3-1.7x in every run). So
// LineReader is not faster even at the part it does; functionally it cannot serve at all: it
// splits at every LF, inside quoted fields too; drops CR inside quotes; throws on a line over
// 16 MB and cannot go on after that; gives no byte offsets; and keeps a 48 MB buffer and a
// hidden thread. csv_reader pulls 256 KiB blocks from byte_source (gzip and decoding live there)
// and scans them with 64-byte SSE2 masks.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <boost/system/error_code.hpp>
#include <boost/system/result.hpp>

#include "leadpipe/source.hpp"

namespace leadpipe {

/// Why a record was rejected; `none` for a good record.
enum class csv_error : std::uint8_t {
  none,
  unterminated_quote,  ///< a quoted field runs to the end of the input
  record_too_long,     ///< the record's text exceeds csv_options::max_record_bytes
  too_few_fields,      ///< fewer fields than the header has columns
  too_many_fields,     ///< more fields than the header, and some of the extra ones are non-empty
};

/// A short lower-case description ("unterminated quote", "too many fields"...). Thread-safe.
[[nodiscard]] std::string_view to_string(csv_error e) noexcept;

/// Whole-input failures that csv_reader::open reports (the caller picks the exit code).
enum class csv_errc {
  empty_input = 1,  ///< no bytes, or blank lines only: there is no header line
  bad_header,       ///< the header line is unterminated, too long or has no column names
  bad_options,      ///< the delimiter is a quote, CR or LF, or max_record_bytes is 0 or > 1 GiB
};
[[nodiscard]] const boost::system::error_category& csv_category() noexcept;
[[nodiscard]] boost::system::error_code make_error_code(csv_errc e) noexcept;

/// Reader settings. Defaults fit spreadsheets' exports.
struct csv_options {
  /// Field delimiter; 0 detects it from the header line among ',', ';', TAB and '|': the one that
  /// splits the header into the most fields (ties go in that order; ',' when none occurs). A
  /// candidate under which a quote in the header never closes is passed over. With
  /// `header_usable`, a candidate whose split it accepts wins over one it refuses, whatever the
  /// counts ("Email;Company, Inc" splits into two fields either way; only ';' finds the email).
  char delimiter = 0;
  /// Optional: whether a header, split by a candidate delimiter, is one the caller can use (it
  /// has an email column, say). Called at open only. When the first line is not usable, up to
  /// 10 more lines (64 KiB) are tried: the first usable one with more fields than every line
  /// before it is the header, and those lines are a preamble, skipped (LinkedIn's Connections
  /// export opens with a "Notes:" paragraph). Otherwise the first line is the header.
  std::function<bool(std::span<const std::string_view>)> header_usable = {};
  /// A record whose text (line ending excluded) is longer is rejected as record_too_long and
  /// skipped to its true end in constant memory. The reader holds two buffers of this plus
  /// 256 KiB each. Between 1 and 2^30.
  std::size_t max_record_bytes = std::size_t{1} << 20;
  /// csv_record::raw is cut to at most this many bytes, on a UTF-8 character boundary
  /// (raw_truncated is then set). A value above max_record_bytes is lowered to it.
  std::size_t max_raw_bytes = std::size_t{16} << 10;
  /// A header with more columns is a bad_header error.
  std::size_t max_columns = 10'000;
};

/// One record, borrowed from the reader: every view (fields, raw) stays valid only until the
/// next call to csv_reader::next() or next_batch() or the reader's destruction. Copy what must
/// be kept.
struct csv_record {
  std::uint64_t line = 0;      ///< 1-based physical line where the record starts
  std::uint64_t end_line = 0;  ///< line where it ends (> line when quoted fields hold newlines)
  /// Byte offset of its first byte in the decoded UTF-8 stream (after gzip, transcoding and the
  /// byte-order mark): the file offset for plain UTF-8 input without a mark.
  std::uint64_t offset = 0;
  /// The fields, unquoted: views into the read buffer when nothing needed unescaping, into a
  /// scratch buffer otherwise. At most header().size() entries: extra trailing fields that are
  /// all empty (spreadsheets write them) are dropped; for too_many_fields only the first
  /// header().size() are kept. Empty for unterminated_quote and record_too_long.
  std::span<const std::string_view> fields;
  std::size_t field_count = 0;  ///< fields found in the text, dropped ones included
  std::string_view raw;         ///< the record's text without its line ending, maybe cut
  bool raw_truncated = false;   ///< raw was cut to csv_options::max_raw_bytes
  csv_error error = csv_error::none;
};

/// Reads records from a byte_source it owns. Quoting follows RFC 4180 (a field that starts with
/// `"` is quoted; `""` inside it is one quote; delimiters, CR and LF inside it are data) with the
/// lenient rules of spreadsheets: a quote inside an unquoted field is literal, and text after a
/// closing quote up to the next delimiter is appended to the field. LF, CRLF and CR CR LF end
/// records outside quotes (one or two CRs before the LF are not data); a lone CR is data,
/// except in an input whose first line ends with a lone CR (classic Mac exports): there every
/// CR is read as an LF (see cr_line_endings()). Completely empty lines are not records (see
/// blank_lines()). Not thread-safe; movable, not copyable.
///
/// I/O failures of the source (unreadable file, corrupt gzip, undecodable bytes) propagate out of
/// open() and next() as source_error; the reader must not be read again after one. Memory is
/// fixed at open: two buffers of max_record_bytes + 256 KiB and one view per header column (per
/// record of the largest batch, with next_batch()).
class csv_reader {
 public:
  /// Takes the source and reads the header: blank lines before it are skipped, the delimiter is
  /// detected if not given, trailing empty column names are dropped. Fails with csv_errc and, when
  /// `message` is given, a lower-case message naming the input (`leads.csv: empty input (no
  /// header line)`). A header-only input is not an error here: next() just returns false.
  [[nodiscard]] static boost::system::result<csv_reader> open(byte_source source,
                                                              const csv_options& options = {},
                                                              std::string* message = nullptr);

  csv_reader(csv_reader&&) noexcept;
  csv_reader& operator=(csv_reader&&) noexcept;
  csv_reader(const csv_reader&) = delete;
  csv_reader& operator=(const csv_reader&) = delete;
  ~csv_reader();

  /// The column names, unquoted, byte-order mark removed; owned by the reader.
  [[nodiscard]] const std::vector<std::string>& header() const noexcept { return header_; }
  /// The line the header starts on (1 unless blank lines or a preamble precede it).
  [[nodiscard]] std::uint64_t header_line() const noexcept { return header_line_; }
  /// The first line of a preamble skipped before the header (see csv_options::header_usable),
  /// or 0 when there is none. The preamble runs from there to header_line() - 1.
  [[nodiscard]] std::uint64_t preamble_line() const noexcept { return preamble_first_; }
  /// The delimiter in use (given or detected).
  [[nodiscard]] char delimiter() const noexcept { return delimiter_; }
  /// True when the first line break of the input (within max_record_bytes + 1 bytes, quotes not
  /// considered) is a CR not followed by LF: the whole input is then read with every CR turned
  /// into an LF, byte for byte, so offsets are unchanged and raw texts hold LF for CR.
  [[nodiscard]] bool cr_line_endings() const noexcept { return cr_lines_; }
  /// The delimiter named by an Excel "sep=X" first line (which is skipped, not the header), or 0
  /// when there is none. It is used unless csv_options::delimiter is set.
  [[nodiscard]] char sep_line() const noexcept { return sep_hint_; }
  /// Unnamed columns at the end of the header line ("email,name,,"): not in header(); cells in
  /// them are read and ignored rather than making the row too long.
  [[nodiscard]] std::size_t unnamed_trailing_columns() const noexcept { return unnamed_tail_; }
  /// Non-blank cells read under those columns so far (rejected records' included).
  [[nodiscard]] std::uint64_t ignored_cells() const noexcept { return ignored_cells_; }

  /// Reads the next record into `record` (views valid until the next call); returns false at the
  /// end of the input. Rejected rows come back with record.error set. Throws source_error when
  /// the input cannot be read any further.
  [[nodiscard]] bool next(csv_record& record);

  /// Reads up to records.size() records, as next() would one by one, and returns how many: 0
  /// only at the end of the input, fewer than asked when the buffer must be refilled before the
  /// next one (the records already read hold it in place). Every view of every record stays
  /// valid until the next call to next() or next_batch(), so a caller can look at a whole batch
  /// before it handles the first record (e.g. to prefetch). Holds one view per header column per
  /// record of the largest batch asked for. Throws like next().
  [[nodiscard]] std::size_t next_batch(std::span<csv_record> records);

  /// Records returned by next(), rejected ones included.
  [[nodiscard]] std::uint64_t records() const noexcept { return records_; }
  /// Decoded bytes consumed so far (header and line endings included).
  [[nodiscard]] std::uint64_t bytes() const noexcept { return base_offset_ + pos_; }
  /// Completely empty lines skipped (before the header too).
  [[nodiscard]] std::uint64_t blank_lines() const noexcept { return blank_lines_; }
  /// The source, for progress (raw_bytes_read, raw_size) and the input hash.
  [[nodiscard]] const byte_source& source() const noexcept { return source_; }

 private:
  struct scan_result;
  struct delimiter_choice {
    char delimiter = 0;      // 0: no candidate gave a complete header line
    bool need_more = false;  // a candidate needs more data before anything can be decided
    bool too_long = false;   // some candidate ran past max_record_bytes
    bool usable = false;     // the chosen split passes csv_options::header_usable (or no test)
  };
  enum class skip_state : std::uint8_t;

  csv_reader(byte_source source, const csv_options& options);
  [[nodiscard]] boost::system::error_code read_header(std::string& message);
  [[nodiscard]] delimiter_choice choose_delimiter();
  enum class ending_choice : std::uint8_t { lf, cr, need_more };
  [[nodiscard]] ending_choice choose_line_ending() const noexcept;
  enum class sep_hint : std::uint8_t { none, found, need_more };
  [[nodiscard]] sep_hint read_sep_line();
  [[nodiscard]] bool skip_preamble_line(const delimiter_choice& choice, const scan_result& s);
  [[nodiscard]] bool rewind_preamble() noexcept;
  [[nodiscard]] scan_result scan(const char* p, char delimiter);
  void emit(std::string_view field);
  void extra_field(std::string_view field) noexcept;
  char* unescape(const char* first, const char* last, std::size_t scratch_start);
  void fill();
  void reset_batch() noexcept;
  void finish(csv_record& record, const scan_result& s, csv_error error, std::size_t fields_begin);
  void skip_long_record(csv_record& record);
  [[nodiscard]] const char* stray_quote_line(const char* start) const noexcept;
  void finish_first_line(csv_record& record, const char* start, const char* lf,
                         std::size_t fields_begin);
  [[nodiscard]] const char* skip_scan(const char* p, const char* end, skip_state& state,
                                      std::uint64_t& newlines,
                                      const char** first_quoted_lf) const noexcept;

  byte_source source_;
  csv_options options_;
  char delimiter_ = ',';
  std::vector<std::string> header_;
  std::uint64_t header_line_ = 0;

  std::size_t capacity_ = 0;       // declared before the buffers: it sizes them
  std::unique_ptr<char[]> buf_;    // capacity_ bytes plus padding for 64-byte loads
  std::size_t pos_ = 0;            // start of the next record in buf_
  std::size_t end_ = 0;            // end of valid data in buf_
  bool eof_ = false;               // the source returned 0; buf_ holds all that is left
  std::uint64_t base_offset_ = 0;  // decoded-stream offset of buf_[0]
  std::uint64_t line_ = 1;         // line of buf_[pos_]
  bool ending_known_ = false;      // choose_line_ending() has decided
  bool cr_lines_ = false;          // CRs are turned into LFs as they are read
  bool sep_line_checked_ = false;  // read_sep_line() has decided
  char sep_hint_ = 0;              // delimiter of an Excel "sep=X" first line
  // Lines tried as a preamble before the header: where they start (kept in buf_ by fill() until
  // a header is chosen), the state to go back to, and the most fields any of them had.
  static constexpr std::size_t no_preamble = ~std::size_t{0};
  std::size_t preamble_pos_ = no_preamble;
  std::uint64_t preamble_start_line_ = 0;
  std::uint64_t preamble_blank_lines_ = 0;
  std::size_t preamble_lines_ = 0;
  std::size_t preamble_fields_ = 0;
  bool preamble_closed_ = false;  // no more lines are tried
  std::uint64_t preamble_first_ = 0;

  // Unescaped fields of the current batch. As large as buf_, so never regrown: a batch's records
  // all lie in buf_ and unescaping never lengthens a field.
  std::unique_ptr<char[]> scratch_;
  std::size_t scratch_used_ = 0;
  std::string long_raw_;  // raw prefix kept while a too-long record is skipped
  std::vector<std::string_view> fields_;  // fields of the current batch, record after record
  std::size_t field_count_ = 0;
  std::size_t keep_fields_ = 0;  // fields beyond this are dropped (header size)
  std::size_t unnamed_tail_ = 0;      // unnamed header columns after the last named one
  std::uint64_t ignored_cells_ = 0;   // non-blank cells under those columns
  std::uint64_t record_ignored_ = 0;  // the same, in the record being scanned
  bool extra_nonempty_ = false;

  std::uint64_t records_ = 0;
  std::uint64_t blank_lines_ = 0;
};

}  // namespace leadpipe

template <>
struct boost::system::is_error_code_enum<leadpipe::csv_errc> : std::true_type {};
