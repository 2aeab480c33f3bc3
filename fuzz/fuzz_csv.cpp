// Fuzz target "csv": byte_source (gzip, byte-order marks, ICU decoding) and csv_reader.
//
// Input: 7 option bytes, then the file's bytes.
//   0  transform applied by the harness: &3 = 0 none, 1 gzip (&4: as two members), 2 UTF-16LE
//      with BOM, 3 UTF-16BE with BOM (the UTF-16 forms only when the bytes are UTF-8); &8: a
//      header is usable only with a field "e" (csv_options::header_usable: preambles)
//   1  source_options::encoding, an index into `encodings`
//   2  delimiter: 0 detect, 1-4 one of ",;\t|", any other value that byte itself
//   3  source_options::max_chunk of the second, chunked reading (0: 7)
//   4  csv_options::max_record_bytes (0: 4 KiB, 255: the default 1 MiB)
//   5  csv_options::max_raw_bytes (0: the default 16 KiB)
//   6  csv_options::max_columns (0: the default)
//
// Promises checked: the decoded stream and every record are the same whatever the chunk size;
// gzip and UTF-16 round-trip; each record's offset, lines and raw text agree with the decoded
// stream, nothing but line endings lies between records, and its fields equal a plain scalar
// re-split of its raw text (so the SIMD scanner and the scalar rules agree).
#include <algorithm>
#include <array>
#include <optional>
#include <vector>

#include <fmt/format.h>

#include "fuzz_entries.hpp"
#include "leadpipe/csv.hpp"
#include "source_test_util.hpp"

namespace leadpipe::fuzz {
namespace {

constexpr std::array<std::string_view, 12> encodings = {
    "",       "utf-8",      "windows-1252", "utf-16le", "utf-16be", "shift_jis",
    "utf-32", "iso-8859-1", "gb18030",      "auto",     "x-bogus",  "iso-2022-jp"};

struct settings {
  source_options source;
  csv_options csv;
  std::size_t chunk = 7;
};

settings read_settings(input_reader& in, unsigned& transform) {
  settings s;
  transform = in.take();
  s.source.encoding = std::string(encodings[in.take() % encodings.size()]);
  constexpr std::array<char, 4> delimiters = {',', ';', '\t', '|'};
  const std::uint8_t d = in.take();
  s.csv.delimiter = d == 0 ? '\0' : d <= 4 ? delimiters[d - 1U] : static_cast<char>(d);
  const std::uint8_t chunk = in.take();
  s.chunk = chunk == 0 ? 7 : chunk;
  // 0: 4 KiB (each reader allocates and clears max_record_bytes + 256 KiB twice, so the 1 MiB
  // default would cost most of the run), 255: the default, otherwise that many bytes.
  if (const std::uint8_t b = in.take(); b != 255) s.csv.max_record_bytes = b == 0 ? 4096 : b;
  if (const std::uint8_t b = in.take(); b != 0) s.csv.max_raw_bytes = b;
  if (const std::uint8_t b = in.take(); b != 0) s.csv.max_columns = b;
  if ((transform & 8U) != 0) {
    s.csv.header_usable = [](std::span<const std::string_view> f) {
      return std::find(f.begin(), f.end(), "e") != f.end();
    };
  }
  return s;
}

std::string transformed(std::string_view data, unsigned transform) {
  switch (transform & 3U) {
    case 1:
      if ((transform & 4U) != 0) {
        const std::size_t half = data.size() / 2;
        return test::gzip(data.substr(0, half)) + test::gzip(data.substr(half));
      }
      return test::gzip(data);
    case 2:
    case 3:
      if (utf8::is_valid(data)) return test::utf16(data, (transform & 3U) == 2);
      return std::string(data);
    default:
      return std::string(data);
  }
}

// Everything a byte_source yields, or how far it got and the error that stopped it.
struct decoded {
  std::string bytes;
  std::optional<source_errc> error;
  std::string digest;  // raw_digest() once complete
  std::uint64_t raw_read = 0;
};

decoded decode(std::string_view raw, const source_options& options, std::size_t buffer) {
  decoded out;
  try {
    auto source = byte_source::from_memory(raw, "fuzz.csv", options);
    std::string chunk(buffer, '\0');
    for (;;) {
      const std::size_t got = source.read(chunk.data(), chunk.size());
      check(got <= buffer, "byte_source::read returned more than asked");
      if (got == 0) break;
      out.bytes.append(chunk.data(), got);
    }
    out.digest = source.raw_digest();
    out.raw_read = source.raw_bytes_read();
    check(source.raw_size() == raw.size(), "raw_size() differs from the memory input's size");
  } catch (const source_error& e) {
    out.error = e.code();
  }
  return out;
}

void check_source(std::string_view data, std::string_view raw, unsigned transform,
                  const settings& s, const decoded& whole) {
  source_options chunked = s.source;
  chunked.max_chunk = s.chunk;
  const decoded parts = decode(raw, chunked, (s.chunk % 13) + 1);
  // Which error is reported may differ: an input with corrupt gzip data and undecodable text
  // before it fails in whichever stage reads far enough first. That it fails may not.
  check(whole.error.has_value() == parts.error.has_value(),
        "decoding fails with one max_chunk and not with another");
  if (whole.error) return;
  check(whole.bytes == parts.bytes, "decoded bytes depend on max_chunk");
  check(whole.digest == parts.digest, "raw_digest depends on max_chunk");
  check(whole.raw_read == raw.size(), "raw_bytes_read() is not the input size at the end");
  if ((transform & 3U) == 1 && !data.starts_with("\x1f\x8b")) {
    const decoded plain = decode(data, s.source, 65536);
    check(!plain.error && plain.bytes == whole.bytes, "gzip changes what the input decodes to");
  } else if ((transform & 3U) >= 2 && utf8::is_valid(data) &&
             !((transform & 3U) == 2 && data.starts_with('\0'))) {
    // (FF FE 00 00, a UTF-16LE mark and a NUL, is the UTF-32LE mark: that one is ambiguous.)
    check(whole.bytes == data, "UTF-16 with a byte-order mark does not decode to its text");
  }
}

// An owned copy of a csv_record: `meta` keeps its positions, counts and error (its views are
// cleared), the strings keep its text.
struct row {
  csv_record meta;
  std::vector<std::string> fields;
  std::string raw;
};

bool same_meta(const csv_record& a, const csv_record& b) {
  return a.line == b.line && a.end_line == b.end_line && a.offset == b.offset && a.error == b.error;
}

// Equal records, raw text and flags included, whatever the chunk size.
bool same_record(const row& a, const row& b) {
  return same_meta(a.meta, b.meta) && a.fields == b.fields && a.raw == b.raw &&
         a.meta.field_count == b.meta.field_count && a.meta.raw_truncated == b.meta.raw_truncated;
}

// One reading of an input: how it ended, what the reader said about it, and its records.
struct parsed {
  std::optional<source_errc> error;  // the source threw
  bool opened = false;
  std::string open_message;  // why open() failed
  std::vector<std::string> header;
  char delimiter = 0;
  bool cr_lines = false;
  std::uint64_t header_line = 0, preamble_line = 0, bytes = 0, blank_lines = 0;
  std::size_t unnamed = 0;          // unnamed columns at the end of the header line
  std::uint64_t ignored_cells = 0;  // non-blank cells read under them
  std::vector<row> rows;
};

parsed parse(std::string_view raw, const settings& s, std::size_t max_chunk) {
  parsed out;
  try {
    source_options options = s.source;
    options.max_chunk = max_chunk;
    auto reader = csv_reader::open(byte_source::from_memory(raw, "fuzz.csv", options), s.csv,
                                   &out.open_message);
    if (!reader) return out;
    out.opened = true;
    out.header = reader->header();
    out.header_line = reader->header_line();
    out.preamble_line = reader->preamble_line();
    check(out.preamble_line < out.header_line, "a preamble that does not come before the header");
    check(out.preamble_line == 0 || s.csv.header_usable, "a preamble without a usability test");
    out.delimiter = reader->delimiter();
    out.cr_lines = reader->cr_line_endings();
    csv_record r;
    while (reader->next(r)) {
      row copy{r, {r.fields.begin(), r.fields.end()}, std::string(r.raw)};
      copy.meta.fields = {};
      copy.meta.raw = {};
      out.rows.push_back(std::move(copy));
      check(reader->records() == out.rows.size(), "records() does not count next()'s records");
    }
    out.bytes = reader->bytes();
    out.blank_lines = reader->blank_lines();
    out.unnamed = reader->unnamed_trailing_columns();
    out.ignored_cells = reader->ignored_cells();
  } catch (const source_error& e) {
    out.error = e.code();
  }
  return out;
}

// The fields of one complete record's text, split with the reader's documented rules one byte
// at a time: a field starting with a quote runs to the closing quote ("" is one quote) and any
// text after it up to the delimiter is appended; other fields run to the delimiter.
// CR CR LF inside quotes is taken as CR LF.
std::vector<std::string> split(std::string_view raw, char delim) {
  std::vector<std::string> out;
  std::size_t i = 0;
  for (;;) {
    std::string field;
    if (i < raw.size() && raw[i] == '"') {
      ++i;
      for (;;) {
        const std::size_t q = raw.find('"', i);
        check(q != std::string_view::npos, "a complete record holds an unterminated quote");
        // CR CR LF inside quotes is a line break converted once too often: it reads as CR LF.
        for (std::size_t k = i; k < q; ++k) {
          if (raw[k] == '\r' && k + 2 < q && raw[k + 1] == '\r' && raw[k + 2] == '\n') continue;
          field += raw[k];
        }
        i = q + 1;
        if (i < raw.size() && raw[i] == '"') {
          field += '"';
          ++i;
          continue;
        }
        break;
      }
    }
    const std::size_t t = std::min(raw.find(delim, i), raw.size());
    field.append(raw.substr(i, t - i));
    out.push_back(std::move(field));
    if (t == raw.size()) return out;
    i = t + 1;
  }
}

// Spaces and tabs: a line of nothing else is blank, a cell of nothing else empty.
bool blank(std::string_view x) { return x.find_first_not_of(" \t") == std::string_view::npos; }

// True when `gap` is the previous record's line ending (LF, CR LF or CR CR LF) followed only by
// blank lines (spaces and tabs, then a line ending), the last of which may, at the very end of
// the input, end with one or two CRs or nothing.
bool only_blank_lines(std::string_view gap, bool at_end) {
  std::size_t i = 0;
  for (bool first = true; i < gap.size(); first = false) {
    if (!first) {
      while (i < gap.size() && (gap[i] == ' ' || gap[i] == '\t')) ++i;
    }
    for (int crs = 0; crs < 2 && i < gap.size() && gap[i] == '\r'; ++crs) ++i;
    if (i == gap.size()) return at_end;
    if (gap[i] != '\n') return false;
    ++i;
  }
  return true;
}

void check_fields(const row& r, const parsed& p, std::uint64_t& ignored) {
  const std::size_t columns = p.header.size();
  if (r.meta.error == csv_error::unterminated_quote || r.meta.error == csv_error::record_too_long) {
    check(r.fields.empty() && r.meta.field_count == 0, "a rejected record carries fields");
    return;
  }
  check(r.fields.size() <= columns, "more fields than header columns");
  if (r.meta.raw_truncated) return;
  const std::vector<std::string> ref = split(r.raw, p.delimiter);
  check(r.meta.field_count == ref.size(),
        fmt::format("line {}: field_count {} but the text has {} fields", r.meta.line,
                    r.meta.field_count, ref.size()));
  const std::size_t kept = std::min(ref.size(), columns);
  check(std::equal(r.fields.begin(), r.fields.end(), ref.begin(),
                   ref.begin() + static_cast<std::ptrdiff_t>(kept)) &&
            r.fields.size() == kept,
        fmt::format("line {}: fields differ from a scalar split of the raw text", r.meta.line));
  bool extra = false;
  for (std::size_t k = kept; k < ref.size(); ++k) {
    if (blank(ref[k])) continue;
    if (k < columns + p.unnamed) {
      ++ignored;
    } else {
      extra = true;
    }
  }
  const csv_error want = ref.size() < columns ? csv_error::too_few_fields
                         : extra              ? csv_error::too_many_fields
                                              : csv_error::none;
  check(r.meta.error == want, fmt::format("line {}: error '{}' but the fields say '{}'",
                                          r.meta.line, to_string(r.meta.error), to_string(want)));
}

void check_records(const parsed& p, const settings& s, std::string_view text) {
  check(!p.header.empty() && !blank(p.header.back()), "header empty or with a trailing blank");
  check(p.header.size() <= s.csv.max_columns, "header wider than max_columns");
  check(s.csv.delimiter == 0 || p.delimiter == s.csv.delimiter, "given delimiter not used");
  check(p.bytes == text.size(), "bytes() at the end is not the decoded size");
  std::uint64_t ignored = 0;  // cells under unnamed last columns, from the scalar split
  bool every_record_split = true;
  std::uint64_t prev_end = 0;  // end of the previous record's text, when known
  bool prev_known = false;
  std::uint64_t prev_line = p.header_line;
  for (const row& r : p.rows) {
    check(r.meta.offset < text.size() && r.raw.size() <= text.size() - r.meta.offset,
          "record outside the decoded stream");
    check(text.substr(r.meta.offset, r.raw.size()) == r.raw, "raw is not the text at offset");
    check(r.raw.size() <= s.csv.max_raw_bytes, "raw longer than max_raw_bytes");
    check(!r.raw.empty() || r.meta.raw_truncated, "an empty record");
    const auto lfs_before = static_cast<std::uint64_t>(
        std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(r.meta.offset), '\n'));
    check(r.meta.line == lfs_before + 1,
          fmt::format("record at offset {} says line {}, the text says {}", r.meta.offset,
                      r.meta.line, lfs_before + 1));
    check(r.meta.line > prev_line && r.meta.end_line >= r.meta.line, "line numbers go backwards");
    if (prev_known) {
      check(r.meta.offset >= prev_end &&
                only_blank_lines(text.substr(prev_end, r.meta.offset - prev_end), false),
            fmt::format("line {}: text between records that is not a line ending", r.meta.line));
    }
    prev_known = !r.meta.raw_truncated;
    if (prev_known) {
      prev_end = r.meta.offset + r.raw.size();
      const auto lfs = static_cast<std::uint64_t>(std::count(r.raw.begin(), r.raw.end(), '\n'));
      check(
          r.meta.end_line == r.meta.line + lfs,
          fmt::format("line {}: end_line {} but {} LFs inside", r.meta.line, r.meta.end_line, lfs));
    }
    prev_line = r.meta.end_line;
    check_fields(r, p, ignored);
    every_record_split = every_record_split && !r.meta.raw_truncated &&
                         r.meta.error != csv_error::unterminated_quote &&
                         r.meta.error != csv_error::record_too_long;
  }
  if (prev_known) {
    check(only_blank_lines(text.substr(prev_end), true), "text after the last record");
  }
  if (every_record_split) {
    check(ignored == p.ignored_cells,
          fmt::format("{} cells under unnamed columns, the reader counted {}", ignored,
                      p.ignored_cells));
  }
}

class csv_target final : public target {
 public:
  void run(std::span<const std::uint8_t> input) override {
    input_reader in(input);
    unsigned transform = 0;
    const settings s = read_settings(in, transform);
    const std::string_view data = in.rest();
    const std::string raw = transformed(data, transform);

    const decoded whole = decode(raw, s.source, 65536);
    check_source(data, raw, transform, s, whole);

    const parsed a = parse(raw, s, 0);
    const parsed b = parse(raw, s, s.chunk);
    const std::size_t common = std::min(a.rows.size(), b.rows.size());
    check(std::equal(a.rows.begin(), a.rows.begin() + static_cast<std::ptrdiff_t>(common),
                     b.rows.begin(), same_record),
          "records depend on max_chunk");
    if (a.error || b.error) {
      // A header rejected before the bad bytes were reached is a fair answer too: how much the
      // reader had read when it decided depends on the chunk size.
      check((a.error && b.error) || (a.error ? !b.opened : !a.opened),
            "source errors depend on max_chunk");
      return;
    }
    check(a.opened == b.opened && a.open_message == b.open_message,
          "open() result depends on max_chunk: " + a.open_message + " / " + b.open_message);
    if (!a.opened) return;
    check(a.rows.size() == b.rows.size() && a.header == b.header && a.bytes == b.bytes &&
              a.blank_lines == b.blank_lines && a.delimiter == b.delimiter &&
              a.cr_lines == b.cr_lines && a.header_line == b.header_line &&
              a.preamble_line == b.preamble_line,
          "records depend on max_chunk");
    check(!whole.error, "the reader read what the source cannot decode");
    // With classic Mac line endings the reader sees every CR as an LF, byte for byte.
    std::string text = whole.bytes;
    if (a.cr_lines) std::replace(text.begin(), text.end(), '\r', '\n');
    check_records(a, s, text);
  }
};

}  // namespace

std::unique_ptr<target> make_csv_target() { return std::make_unique<csv_target>(); }

}  // namespace leadpipe::fuzz
