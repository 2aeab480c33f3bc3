// csv_reader: record splitting over one block buffer filled from the byte_source. Records are
// parsed in place; a record cut by the end of the buffer is moved to the front and parsed again
// once more data is in, which keeps the parser free of suspended state.
#include "leadpipe/csv.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cstring>

#include <fmt/format.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace leadpipe {
namespace {

// Bytes asked of the source per fill: small enough that the block is still in L2 cache when the
// parser reaches it, large enough to amortise the calls.
constexpr std::size_t read_block = std::size_t{256} << 10;
constexpr std::size_t load_padding = 64;  // delim_finder loads 64 bytes at any position
constexpr std::size_t max_record_limit = std::size_t{1} << 30;
// CRs right before an LF that belong to the line ending: CRLF, and CR CR LF, which a CRLF file
// gets when it goes through a text-mode conversion once more (Python's csv module on Windows
// without newline='' writes it).
constexpr std::size_t max_ending_crs = 2;
// How far past an unusable first line the header is looked for (csv_options::header_usable).
// The bytes stay in the buffer meanwhile: a quarter of the read block leaves room for a header
// line of max_record_bytes after them.
constexpr std::size_t max_preamble_lines = 10;
constexpr std::size_t max_preamble_bytes = read_block / 4;

// Finds delimiters and LFs through 64-byte bit masks. One finder serves the ascending calls of
// one scan, so a short field costs a bit scan of the cached mask rather than fresh loads. Loads
// reach up to 63 bytes past `end`, which the buffer's padding makes safe; hits there are clamped.
class delim_finder {
 public:
  explicit delim_finder(char delim) noexcept
#if defined(__SSE2__)
      : delim_(_mm_set1_epi8(delim)),
        lf_(_mm_set1_epi8('\n'))
#else
      : delim_(delim)
#endif
  {
  }

  // First delimiter or LF in [p, end), or end. `p` must not go below an earlier call's `p`.
  const char* find(const char* p, const char* end) noexcept {
    if (cached_ && p < block_ + 64) {
      const std::uint64_t m = mask_ & (~std::uint64_t{0} << (p - block_));
      if (m != 0) return std::min(block_ + std::countr_zero(m), end);
      p = block_ + 64;
    }
    for (; p < end; p += 64) {
      block_ = p;
      mask_ = masks(p);
      cached_ = true;
      if (mask_ != 0) return std::min(p + std::countr_zero(mask_), end);
    }
    return end;
  }

 private:
#if defined(__SSE2__)
  [[nodiscard]] std::uint64_t bits16(const char* p) const noexcept {
    const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    return static_cast<std::uint32_t>(
        _mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(x, delim_), _mm_cmpeq_epi8(x, lf_))));
  }
  [[nodiscard]] std::uint64_t masks(const char* p) const noexcept {
    return bits16(p) | (bits16(p + 16) << 16) | (bits16(p + 32) << 32) | (bits16(p + 48) << 48);
  }

  __m128i delim_;  // the delimiter and LF in every byte, broadcast once per finder
  __m128i lf_;
#else
  [[nodiscard]] std::uint64_t masks(const char* p) const noexcept {
    std::uint64_t m = 0;
    for (unsigned i = 0; i < 64; ++i) {
      if (p[i] == delim_ || p[i] == '\n') m |= std::uint64_t{1} << i;
    }
    return m;
  }

  char delim_;
#endif
  bool cached_ = false;
  const char* block_ = nullptr;
  std::uint64_t mask_ = 0;
};

// Empty, or only spaces and tabs: a line of them is a blank line, a cell of them past the
// header's columns an empty one.
[[gnu::always_inline]] inline bool is_blank(std::string_view s) noexcept {
  for (const char c : s) {  // nearly every record ends this at its first byte
    if (c != ' ' && c != '\t') return false;
  }
  return true;
}

const char* find_quote(const char* p, const char* end) noexcept {
  return static_cast<const char*>(std::memchr(p, '"', static_cast<std::size_t>(end - p)));
}

std::uint64_t count_lf(const char* p, const char* end) noexcept {
  return static_cast<std::uint64_t>(std::count(p, end, '\n'));
}

// True when [p, end) holds CR CR LF: a line break inside a quoted field of a file that went
// through one text-mode conversion too many (see max_ending_crs).
bool has_cr_cr_lf(const char* p, const char* end) noexcept {
  static constexpr std::string_view needle = "\r\r\n";
  return std::string_view(p, static_cast<std::size_t>(end - p)).find(needle) !=
         std::string_view::npos;
}

// Turns each CR CR LF of [first, last) into CR LF in place, as the line ending it was before the
// extra conversion; returns the new end.
char* collapse_cr_cr_lf(char* first, char* last) noexcept {
  char* out = first;
  for (char* p = first; p < last; ++p) {
    if (*p == '\r' && last - p >= 3 && p[1] == '\r' && p[2] == '\n') continue;
    *out++ = *p;
  }
  return out;
}

// Up to max_ending_crs CRs right before the LF (or before the end of input) belong to the line
// ending.
const char* before_cr(const char* first, const char* t) noexcept {
  if (t > first && t[-1] == '\r') --t;
  if (t > first && t[-1] == '\r') --t;
  return t;
}

// The end of a field's text that stops at `t` (a delimiter, an LF or the end of data).
const char* field_end(const char* first, const char* t, const char* end) noexcept {
  return (t == end || *t == '\n') ? before_cr(first, t) : t;
}

// Cuts `n` back so that a UTF-8 sequence is not split at the cut (at most 3 bytes).
std::size_t char_boundary(const char* s, std::size_t n, std::size_t len) noexcept {
  if (n >= len) return len;
  std::size_t cut = n;
  while (cut > 0 && n - cut < 3 && (static_cast<unsigned char>(s[cut]) & 0xC0U) == 0x80U) --cut;
  return (static_cast<unsigned char>(s[cut]) & 0xC0U) == 0x80U ? n : cut;
}

// error_category's destructor is protected and non-virtual by design (categories are never
// deleted through a base pointer); -Wnon-virtual-dtor cannot see that.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnon-virtual-dtor"
class csv_category_impl final : public boost::system::error_category {
 public:
  [[nodiscard]] const char* name() const noexcept override { return "leadpipe.csv"; }
  [[nodiscard]] std::string message(int ev) const override {
    switch (static_cast<csv_errc>(ev)) {
      case csv_errc::empty_input:
        return "empty input (no header line)";
      case csv_errc::bad_header:
        return "bad header line";
      case csv_errc::bad_options:
        return "bad csv options";
    }
    return "unknown csv error";
  }
};
#pragma GCC diagnostic pop

}  // namespace

enum class csv_reader::skip_state : std::uint8_t { field_start, unquoted, quoted, quote_seen };

struct csv_reader::scan_result {
  enum class status : std::uint8_t { complete, need_more, unterminated };
  status st = status::need_more;
  const char* content_end = nullptr;  // end of the record's text, line ending excluded
  const char* next = nullptr;         // first byte after the record
  std::uint64_t newlines = 0;         // LFs inside quoted fields
  bool terminated = false;            // ended by an LF rather than the end of input
  // A quoted field holding a line break was closed by a quote followed by text other than
  // blanks ("...\nbob,Bobco,"Prefers): RFC 4180 forbids that, and it is what a stray quote
  // makes of the lines after it.
  bool odd_close = false;
};

std::string_view to_string(csv_error e) noexcept {
  switch (e) {
    case csv_error::none:
      return "ok";
    case csv_error::unterminated_quote:
      return "unterminated quote";
    case csv_error::record_too_long:
      return "record too long";
    case csv_error::too_few_fields:
      return "too few fields";
    case csv_error::too_many_fields:
      return "too many fields";
  }
  return "unknown";
}

const boost::system::error_category& csv_category() noexcept {
  static const csv_category_impl category;
  return category;
}

boost::system::error_code make_error_code(csv_errc e) noexcept {
  return {static_cast<int>(e), csv_category()};
}

csv_reader::csv_reader(byte_source source, const csv_options& options)
    : source_(std::move(source)),
      options_(options),
      // A partial record of up to max_record_bytes + max_ending_crs is kept while a block is read.
      capacity_(options.max_record_bytes + max_ending_crs + 1 + read_block),
      buf_(new char[capacity_ + load_padding]()),
      scratch_(new char[capacity_]) {
  // A record over max_record_bytes is kept only as far as the buffer held it when the reader gave
  // up, which is at least max_record_bytes: a larger raw limit would make its raw depend on how
  // the input arrived.
  options_.max_raw_bytes = std::min(options_.max_raw_bytes, options_.max_record_bytes);
}

csv_reader::csv_reader(csv_reader&&) noexcept = default;
csv_reader& csv_reader::operator=(csv_reader&&) noexcept = default;
csv_reader::~csv_reader() = default;

boost::system::result<csv_reader> csv_reader::open(byte_source source, const csv_options& options,
                                                   std::string* message) {
  const char d = options.delimiter;
  const char* bad = nullptr;
  if (d == '"' || d == '\n' || d == '\r') bad = "the delimiter cannot be a quote, CR or LF";
  if (options.max_record_bytes == 0 || options.max_record_bytes > max_record_limit) {
    bad = "max_record_bytes must be between 1 byte and 1 GiB";
  }
  if (bad != nullptr) {
    if (message != nullptr) *message = fmt::format("{}: {}", source.name(), bad);
    return make_error_code(csv_errc::bad_options);
  }
  csv_reader reader(std::move(source), options);
  std::string why;
  if (const auto ec = reader.read_header(why); ec) {
    if (message != nullptr) *message = fmt::format("{}: {}", reader.source_.name(), why);
    return ec;
  }
  return {std::move(reader)};
}

void csv_reader::fill() {
  // Lines tried as a preamble stay in the buffer: the first of them may be the header after all.
  const std::size_t keep = preamble_pos_ == no_preamble ? pos_ : preamble_pos_;
  if (keep > 0) {
    std::memmove(buf_.get(), buf_.get() + keep, end_ - keep);
    base_offset_ += keep;
    end_ -= keep;
    pos_ -= keep;
    if (preamble_pos_ != no_preamble) preamble_pos_ = 0;
  }
  const std::size_t got = source_.read(buf_.get() + end_, std::min(read_block, capacity_ - end_));
  if (got == 0) eof_ = true;
  if (cr_lines_) std::replace(buf_.get() + end_, buf_.get() + end_ + got, '\r', '\n');
  end_ += got;
}

// Classic Mac exports end lines with a lone CR. The first line break decides for the whole
// input; only the first max_record_bytes + 1 bytes are looked at for it (a header line is no
// longer), and at most max_ending_crs bytes after it, so the answer does not depend on how much
// was read at once.
csv_reader::ending_choice csv_reader::choose_line_ending() const noexcept {
  const char* const first = buf_.get() + pos_;
  const char* const end = buf_.get() + end_;
  const std::size_t window = options_.max_record_bytes + 1;
  const char* const stop = end - first > static_cast<std::ptrdiff_t>(window) ? first + window : end;
  const char* const brk = std::find_if(first, stop, [](char c) { return c == '\n' || c == '\r'; });
  if (brk == stop) {
    return (stop - first == static_cast<std::ptrdiff_t>(window) || eof_) ? ending_choice::lf
                                                                         : ending_choice::need_more;
  }
  if (*brk == '\n') return ending_choice::lf;
  // CR LF or CR CR LF: an LF ending. A CR (or two) at the very end of the input is one too.
  const char* after = brk + 1;
  if (after != end && *after == '\r') ++after;
  if (after == end) return eof_ ? ending_choice::lf : ending_choice::need_more;
  return *after == '\n' ? ending_choice::lf : ending_choice::cr;
}

// Inlined by force: it runs once per field, and GCC otherwise keeps the call for the sake of
// push_back's (cold) growth path.
[[gnu::always_inline]] inline void csv_reader::emit(std::string_view field) {
  if (field_count_ < keep_fields_) {
    fields_.push_back(field);
  } else {
    extra_field(field);
  }
  ++field_count_;
}

// Past the header's named columns a cell of spaces counts as empty; one under an unnamed last
// column is ignored (and counted), one past every column makes the row too long. Out of line:
// rare, and it would crowd every place scan() emits a field.
[[gnu::noinline]] void csv_reader::extra_field(std::string_view field) noexcept {
  if (is_blank(field)) return;
  if (field_count_ < keep_fields_ + unnamed_tail_) {
    ++record_ignored_;
  } else {
    extra_nonempty_ = true;
  }
}

// Copies the quoted content [first, last) into scratch with each "" turned into ", and returns
// the end of the copy; the caller appends any text that followed the closing quote.
char* csv_reader::unescape(const char* first, const char* last, std::size_t scratch_start) {
  char* out = scratch_.get() + scratch_start;
  while (first < last) {
    const char* q = find_quote(first, last);
    const char* seg_end = q == nullptr ? last : q + 1;  // keep one quote of the pair
    std::memcpy(out, first, static_cast<std::size_t>(seg_end - first));
    out += seg_end - first;
    first = q == nullptr ? last : q + 2;
  }
  return out;
}

csv_reader::scan_result csv_reader::scan(const char* p, char delim) {
  using status = scan_result::status;
  const char* const start = p;
  const char* const end = buf_.get() + end_;
  field_count_ = 0;
  extra_nonempty_ = false;
  record_ignored_ = 0;
  std::uint64_t newlines = 0;
  bool odd_close = false;
  delim_finder finder(delim);
  for (;;) {
    const char* t = nullptr;  // the delimiter or LF after this field, or end
    if (p < end && *p == '"') {
      const char* const first = p + 1;
      const char* q = first;
      const char* close = nullptr;
      bool doubled = false;
      std::uint64_t field_lfs = 0;
      for (;;) {
        close = find_quote(q, end);
        if (close == nullptr) {
          return {eof_ ? status::unterminated : status::need_more, end, end,
                  newlines + field_lfs + count_lf(q, end), false};
        }
        field_lfs += count_lf(q, close);
        if (close + 1 == end && !eof_) return {};  // "" or a closing quote? more data decides
        if (close + 1 == end || close[1] != '"') break;
        doubled = true;
        q = close + 2;
      }
      newlines += field_lfs;
      t = finder.find(close + 1, end);
      if (t == end && !eof_) return {};
      const char* const tail_end = field_end(close + 1, t, end);
      if (field_lfs != 0 && tail_end != close + 1 &&
          !is_blank({close + 1, static_cast<std::size_t>(tail_end - (close + 1))})) {
        odd_close = true;
      }
      const bool extra_crs = field_lfs != 0 && has_cr_cr_lf(first, close);
      if (!doubled && !extra_crs && tail_end == close + 1) {
        emit({first, static_cast<std::size_t>(close - first)});
      } else {
        const std::size_t at = scratch_used_;
        char* out = unescape(first, close, at);
        if (extra_crs) out = collapse_cr_cr_lf(scratch_.get() + at, out);
        std::memcpy(out, close + 1, static_cast<std::size_t>(tail_end - (close + 1)));
        out += tail_end - (close + 1);
        scratch_used_ = static_cast<std::size_t>(out - scratch_.get());
        emit({scratch_.get() + at, scratch_used_ - at});
      }
    } else {
      t = finder.find(p, end);
      if (t == end && !eof_) return {};
      emit({p, static_cast<std::size_t>(field_end(p, t, end) - p)});
    }
    if (t == end) {
      return {status::complete, before_cr(start, end), end, newlines, false, odd_close};
    }
    if (*t == '\n') {
      return {status::complete, before_cr(start, t), t + 1, newlines, true, odd_close};
    }
    p = t + 1;
  }
}

// Excel writes "sep=;" as the first line of some exports to name the delimiter (and a tool that
// quotes every cell writes it quoted: "\"sep=;\""). Such a line is skipped; its delimiter is used
// unless one was given.
csv_reader::sep_hint csv_reader::read_sep_line() {
  const char* const p = buf_.get() + pos_;
  const std::size_t have = end_ - pos_;
  if (have == 0) return eof_ ? sep_hint::none : sep_hint::need_more;
  const std::size_t quoted = p[0] == '"' ? 1 : 0;
  constexpr std::string_view prefix = "sep=";
  const std::size_t look = std::min(have - quoted, prefix.size());
  for (std::size_t i = 0; i < look; ++i) {
    const char c = p[quoted + i];
    if (((c >= 'A' && c <= 'Z') ? static_cast<char>(c | 0x20) : c) != prefix[i]) {
      return sep_hint::none;
    }
  }
  // "sep=X" (or "\"sep=X\"") then LF, CR LF, CR CR LF or the end of input.
  std::size_t n = quoted + prefix.size() + 1 + quoted;
  if (have < n + max_ending_crs + 1 && !eof_) return sep_hint::need_more;
  if (have < n) return sep_hint::none;
  const char d = p[quoted + prefix.size()];
  if (d == '"' || d == '\n' || d == '\r') return sep_hint::none;
  if (quoted != 0 && p[n - 1] != '"') return sep_hint::none;
  for (std::size_t crs = 0; crs < max_ending_crs && n < have && p[n] == '\r'; ++crs) ++n;
  if (n < have && p[n] != '\n') return sep_hint::none;
  if (n < have) ++n;
  sep_hint_ = d;
  pos_ += n;
  line_ += 1;
  return sep_hint::found;
}

// The delimiter that splits the header line into the most fields wins. Record boundaries can
// depend on the delimiter (a quote opens a field only at its start), so each one gets a full scan.
csv_reader::delimiter_choice csv_reader::choose_delimiter() {
  static constexpr std::array<char, 4> candidates = {',', ';', '\t', '|'};
  const char* const fixed = options_.delimiter != 0 ? &options_.delimiter
                            : sep_hint_ != 0        ? &sep_hint_
                                                    : nullptr;
  const std::span<const char> tries =
      fixed != nullptr ? std::span<const char>(fixed, 1) : std::span<const char>(candidates);
  delimiter_choice choice;
  std::size_t best_count = 0;
  bool best_usable = false;
  for (const char d : tries) {
    reset_batch();
    const scan_result s = scan(buf_.get() + pos_, d);
    if (s.st == scan_result::status::need_more) {
      // Past the limit this delimiter cannot give a usable header, but another one still may.
      if (end_ - pos_ > options_.max_record_bytes + max_ending_crs) {
        choice.too_long = true;
        continue;
      }
      choice.need_more = true;
      return choice;
    }
    // A complete header over the limit is passed over like one cut by the limit, so the choice
    // does not depend on how much of the line was read before the limit was reached.
    if (s.content_end - (buf_.get() + pos_) >
        static_cast<std::ptrdiff_t>(options_.max_record_bytes)) {
      choice.too_long = true;
      continue;
    }
    if (s.st != scan_result::status::complete) continue;
    const bool usable = !options_.header_usable || options_.header_usable(fields_);
    if ((usable && !best_usable) || (usable == best_usable && field_count_ > best_count)) {
      choice.delimiter = d;
      best_count = field_count_;
      best_usable = usable;
    }
  }
  choice.usable = best_usable;
  return choice;
}

// A first line the caller cannot use as a header ("Notes:") may be a preamble. It and the lines
// after it are passed over while none is usable, at most max_preamble_lines of them within
// max_preamble_bytes; the first usable line with more fields than all of them is the header.
// Returns true when the line at pos_ was passed over (or the reader went back to the first).
bool csv_reader::skip_preamble_line(const delimiter_choice& choice, const scan_result& s) {
  if (!options_.header_usable || preamble_closed_) return false;
  if (choice.usable) {
    if (preamble_pos_ == no_preamble) {
      preamble_closed_ = true;
      return false;
    }
    if (field_count_ <= preamble_fields_) return rewind_preamble();
    preamble_first_ = preamble_start_line_;
    preamble_pos_ = no_preamble;
    preamble_closed_ = true;
    return false;
  }
  if (preamble_pos_ == no_preamble) {
    preamble_pos_ = pos_;
    preamble_start_line_ = line_;
    preamble_blank_lines_ = blank_lines_;
  }
  preamble_fields_ = std::max(preamble_fields_, field_count_);
  pos_ = static_cast<std::size_t>(s.next - buf_.get());
  line_ += s.newlines + (s.terminated ? 1 : 0);
  if (++preamble_lines_ > max_preamble_lines || pos_ - preamble_pos_ > max_preamble_bytes) {
    return rewind_preamble();
  }
  return true;
}

// Goes back to the first line tried as a preamble, which is then the header whatever it holds.
// False when no preamble was being tried.
bool csv_reader::rewind_preamble() noexcept {
  preamble_closed_ = true;
  if (preamble_pos_ == no_preamble) return false;
  pos_ = preamble_pos_;
  line_ = preamble_start_line_;
  blank_lines_ = preamble_blank_lines_;
  preamble_pos_ = no_preamble;
  return true;
}

boost::system::error_code csv_reader::read_header(std::string& message) {
  const auto bad_header = [&](std::string why) {
    message = fmt::format("line {}: {}", line_, why);
    return make_error_code(csv_errc::bad_header);
  };
  keep_fields_ = options_.max_columns + 1;  // bounds memory on absurd headers
  for (;;) {
    if (pos_ == end_) {
      if (eof_) {
        if (rewind_preamble()) continue;
        message = "empty input (no header line)";
        return make_error_code(csv_errc::empty_input);
      }
      fill();
      continue;
    }
    if (!ending_known_) {
      const ending_choice e = choose_line_ending();
      if (e == ending_choice::need_more) {
        fill();
        continue;
      }
      ending_known_ = true;
      if (e == ending_choice::cr) {
        cr_lines_ = true;
        std::replace(buf_.get() + pos_, buf_.get() + end_, '\r', '\n');
      }
    }
    if (!sep_line_checked_) {
      const sep_hint h = read_sep_line();
      if (h == sep_hint::need_more) {
        fill();
        continue;
      }
      sep_line_checked_ = true;
      if (h == sep_hint::found) continue;
    }
    const delimiter_choice choice = choose_delimiter();
    if (choice.need_more) {
      fill();
      continue;
    }
    const auto too_long =
        fmt::format("header line longer than {} bytes", options_.max_record_bytes);
    if (choice.delimiter == 0) {
      if (rewind_preamble()) continue;
      return bad_header(choice.too_long ? too_long : "unterminated quote in the header line");
    }
    reset_batch();
    const scan_result s = scan(buf_.get() + pos_, choice.delimiter);
    const auto length = static_cast<std::size_t>(s.content_end - (buf_.get() + pos_));
    if (is_blank({buf_.get() + pos_, length})) {
      ++blank_lines_;
      pos_ = static_cast<std::size_t>(s.next - buf_.get());
      line_ += s.newlines + (s.terminated ? 1 : 0);
      continue;
    }
    if (length > options_.max_record_bytes || field_count_ > options_.max_columns) {
      if (rewind_preamble()) continue;
      if (length > options_.max_record_bytes) return bad_header(too_long);
      return bad_header(fmt::format("header has more than {} columns", options_.max_columns));
    }
    if (skip_preamble_line(choice, s)) continue;
    delimiter_ = choice.delimiter;
    header_.assign(fields_.begin(), fields_.end());
    // Unnamed columns at the end: not columns of the file's data, but a row may hold cells
    // there (the column was left unnamed, not unused); they are read and ignored.
    while (!header_.empty() && is_blank(header_.back())) header_.pop_back();
    unnamed_tail_ = field_count_ - header_.size();
    if (header_.empty()) return bad_header("the header line has no column names");
    header_line_ = line_;
    pos_ = static_cast<std::size_t>(s.next - buf_.get());
    line_ += s.newlines + (s.terminated ? 1 : 0);
    keep_fields_ = header_.size();
    reset_batch();
    fields_.shrink_to_fit();
    fields_.reserve(keep_fields_);
    return {};
  }
}

bool csv_reader::next(csv_record& record) { return next_batch({&record, 1}) != 0; }

std::size_t csv_reader::next_batch(std::span<csv_record> records) {
  using status = scan_result::status;
  // Every record of a batch keeps up to keep_fields_ views in fields_, which must not move
  // while the batch is out: reserve for all of them before the first.
  reset_batch();
  if (fields_.capacity() < records.size() * keep_fields_) {
    fields_.reserve(records.size() * keep_fields_);
  }
  std::size_t n = 0;
  while (n < records.size()) {
    if (pos_ == end_) {
      // Refilling moves the buffer under the records already read: they end the batch.
      if (eof_ || n > 0) break;
      fill();
      continue;
    }
    const char* const start = buf_.get() + pos_;
    const std::size_t fields_begin = fields_.size();
    const std::size_t scratch_begin = scratch_used_;
    const scan_result s = scan(start, delimiter_);
    if (s.st == status::need_more) {
      fields_.resize(fields_begin);
      scratch_used_ = scratch_begin;
      if (n > 0) break;
      if (end_ - pos_ > options_.max_record_bytes + max_ending_crs) {
        if (const char* lf = stray_quote_line(start)) {
          finish_first_line(records[0], start, lf, fields_begin);
        } else {
          skip_long_record(records[0]);
        }
        return 1;
      }
      fill();
      continue;
    }
    const bool too_long =
        static_cast<std::size_t>(s.content_end - start) > options_.max_record_bytes;
    // A line of blanks longer than the limit is a record_too_long like any other: read in
    // smaller pieces it is met as one before its end is seen (skip_long_record).
    if (s.st == status::complete && !too_long &&
        is_blank({start, static_cast<std::size_t>(s.content_end - start)})) {
      fields_.resize(fields_begin);  // its one empty field
      ++blank_lines_;
      pos_ = static_cast<std::size_t>(s.next - buf_.get());
      line_ += s.newlines + (s.terminated ? 1 : 0);
      continue;
    }
    csv_error error = csv_error::none;
    // A quoted field that holds a line break and is closed by a quote with text after it took
    // the lines after a stray quote for its cell (the quote that closes it opens a later cell):
    // the record is its first line, and those lines are rows again (stray_quote_line).
    if (s.st == status::complete && !too_long && s.odd_close) {
      const char* lf =
          static_cast<const char*>(std::memchr(start, '\n', static_cast<std::size_t>(s.next - start)));
      finish_first_line(records[n++], start, lf, fields_begin);
      continue;
    }
    if (s.st == status::unterminated || too_long) {
      // A stray quote (see stray_quote_line): the row is its first line, and the lines after it
      // are read as rows again instead of being swallowed by the quote.
      const char* lf = too_long ? stray_quote_line(start)
                                : static_cast<const char*>(std::memchr(
                                      start, '\n', static_cast<std::size_t>(s.next - start)));
      if (lf != nullptr) {
        finish_first_line(records[n++], start, lf, fields_begin);
        continue;
      }
      error =
          s.st == status::unterminated ? csv_error::unterminated_quote : csv_error::record_too_long;
    } else if (field_count_ < header_.size()) {
      error = csv_error::too_few_fields;
    } else if (extra_nonempty_) {
      error = csv_error::too_many_fields;
    }
    finish(records[n++], s, error, fields_begin);
  }
  return n;
}

void csv_reader::reset_batch() noexcept {
  fields_.clear();
  scratch_used_ = 0;
}

void csv_reader::finish(csv_record& record, const scan_result& s, csv_error error,
                        std::size_t fields_begin) {
  const char* const start = buf_.get() + pos_;
  const auto length = static_cast<std::size_t>(s.content_end - start);
  const std::size_t kept = char_boundary(start, options_.max_raw_bytes, length);
  record.line = line_;
  record.end_line = line_ + s.newlines;
  record.offset = base_offset_ + pos_;
  const bool has_fields = error == csv_error::none || error == csv_error::too_few_fields ||
                          error == csv_error::too_many_fields;
  record.fields = has_fields ? std::span<const std::string_view>(fields_).subspan(fields_begin)
                             : std::span<const std::string_view>();
  record.field_count = has_fields ? field_count_ : 0;
  record.raw = {start, kept};
  record.raw_truncated = kept < length;
  record.error = error;
  ++records_;
  ignored_cells_ += record_ignored_;  // a record scanned again after a refill counts once
  pos_ = static_cast<std::size_t>(s.next - buf_.get());
  line_ += s.newlines + (s.terminated ? 1 : 0);
}

// A quote that opens a cell by mistake (a title written "Sales) makes RFC 4180 read every line
// up to the next quote, or to the end of the input, as that cell. Such a record is taken as a
// stray quote when it never closes (the end of the input inside the quote), or when it is longer
// than max_record_bytes and still inside a quoted field after its first max_record_bytes bytes:
// then its first line break (which lies inside the quote) is returned, and the record is that
// first line alone. nullptr: no such line break, the record stays whole.
const char* csv_reader::stray_quote_line(const char* start) const noexcept {
  const char* const end = buf_.get() + end_;
  const std::size_t window =
      std::min(options_.max_record_bytes, static_cast<std::size_t>(end - start));
  skip_state state = skip_state::field_start;
  std::uint64_t newlines = 0;
  const char* first_lf = nullptr;
  if (skip_scan(start, start + window, state, newlines, &first_lf) != nullptr) return nullptr;
  return state == skip_state::quoted ? first_lf : nullptr;
}

// Ends the record at `start` at its first line break `lf` as an unterminated_quote row.
void csv_reader::finish_first_line(csv_record& record, const char* start, const char* lf,
                                   std::size_t fields_begin) {
  fields_.resize(fields_begin);
  record_ignored_ = 0;
  scan_result cut;
  cut.st = scan_result::status::complete;
  cut.content_end = before_cr(start, lf);
  cut.next = lf + 1;
  cut.terminated = true;
  finish(record, cut, csv_error::unterminated_quote, fields_begin);
}

// The record is longer than the limit and not complete in the buffer: walk it to its true end
// with the same quote rules as scan(), keeping only the first max_raw_bytes, so memory stays
// constant however long it is (a stray quote can make it run to the end of the input).
void csv_reader::skip_long_record(csv_record& record) {
  record.line = line_;
  record.offset = base_offset_ + pos_;
  const char* const start = buf_.get() + pos_;
  long_raw_.assign(start, char_boundary(start, options_.max_raw_bytes, end_ - pos_));
  skip_state state = skip_state::field_start;
  std::uint64_t newlines = 0;
  const char* lf = nullptr;
  for (const char* p = start;;) {
    lf = skip_scan(p, buf_.get() + end_, state, newlines, nullptr);
    if (lf != nullptr) break;
    pos_ = end_;
    if (eof_) break;
    fill();
    p = buf_.get() + pos_;
  }
  if (lf != nullptr) pos_ = static_cast<std::size_t>(lf + 1 - buf_.get());
  record.end_line = line_ + newlines;
  line_ += newlines + (lf != nullptr ? 1 : 0);
  record.fields = {};
  record.field_count = 0;
  record.raw = long_raw_;
  record.raw_truncated = true;
  record.error = (lf == nullptr && state == skip_state::quoted) ? csv_error::unterminated_quote
                                                                : csv_error::record_too_long;
  ++records_;
}

// Finds the LF ending the record from `p` on, before `end`, carrying the quote state across
// calls; nullptr when `end` comes first. With `first_quoted_lf`, also notes the first LF inside
// quotes (if it is still null).
const char* csv_reader::skip_scan(const char* p, const char* end, skip_state& state,
                                  std::uint64_t& newlines,
                                  const char** first_quoted_lf) const noexcept {
  delim_finder finder(delimiter_);
  while (p < end) {
    switch (state) {
      case skip_state::field_start:
        if (*p == '"') {
          state = skip_state::quoted;
          ++p;
          break;
        }
        state = skip_state::unquoted;
        [[fallthrough]];
      case skip_state::unquoted: {
        const char* t = finder.find(p, end);
        if (t == end) return nullptr;
        if (*t == '\n') return t;
        state = skip_state::field_start;
        p = t + 1;
        break;
      }
      case skip_state::quoted: {
        const char* q = find_quote(p, end);
        const char* const stop = q == nullptr ? end : q;
        if (first_quoted_lf != nullptr && *first_quoted_lf == nullptr) {
          *first_quoted_lf =
              static_cast<const char*>(std::memchr(p, '\n', static_cast<std::size_t>(stop - p)));
        }
        newlines += count_lf(p, stop);
        if (q == nullptr) return nullptr;
        state = skip_state::quote_seen;
        p = q + 1;
        break;
      }
      case skip_state::quote_seen:
        state = *p == '"' ? skip_state::quoted : skip_state::unquoted;
        if (*p == '"') ++p;
        break;
    }
  }
  return nullptr;
}

}  // namespace leadpipe
