#include "leadpipe/csv.hpp"

#include <algorithm>
#include <array>
#include <ostream>
#include <random>
#include <tuple>
#include <utility>

#include <doctest/doctest.h>
#include <fmt/format.h>

#include "source_test_util.hpp"

using leadpipe::byte_source;
using leadpipe::csv_errc;
using leadpipe::csv_error;
using leadpipe::csv_options;
using leadpipe::csv_reader;
using leadpipe::csv_record;
using leadpipe::source_options;

namespace {

// An owned copy of a csv_record, comparable and printable.
struct row {
  std::uint64_t line = 0;
  std::uint64_t end_line = 0;
  std::uint64_t offset = 0;
  std::vector<std::string> fields;
  std::size_t field_count = 0;
  std::string raw;
  bool raw_truncated = false;
  csv_error error = csv_error::none;
  friend bool operator==(const row&, const row&) = default;
};

// Control bytes are escaped: doctest prints through C strings, which a NUL would cut.
std::string escaped(std::string_view s) {
  std::string out;
  for (const char c : s) {
    if (static_cast<unsigned char>(c) < 0x20) {
      out += fmt::format("\\x{:02x}", static_cast<unsigned char>(c));
    } else {
      out += c;
    }
  }
  return out;
}

std::ostream& operator<<(std::ostream& os, const row& r) {
  os << "{line " << r.line << "-" << r.end_line << " @" << r.offset << " " << to_string(r.error)
     << " n=" << r.field_count << " [";
  for (const auto& f : r.fields) os << '<' << escaped(f) << '>';
  return os << "] raw<" << escaped(r.raw) << (r.raw_truncated ? "...>" : ">") << "}";
}

struct parsed {
  std::vector<std::string> header;
  std::uint64_t header_line = 0;
  char delimiter = 0;
  std::vector<row> rows;
  std::uint64_t blank_lines = 0;
  std::uint64_t bytes = 0;
  std::uint64_t ignored_cells = 0;  // non-blank cells under unnamed last header columns
  friend bool operator==(const parsed&, const parsed&) = default;
};

std::ostream& operator<<(std::ostream& os, const parsed& p) {
  os << "\nheader@" << p.header_line << " n=" << p.header.size() << " blank=" << p.blank_lines
     << " bytes=" << p.bytes << " ignored=" << p.ignored_cells << "\n";
  for (const auto& r : p.rows) os << "  " << r << "\n";
  return os;
}

row copy(const csv_record& r) {
  row out{r.line,        r.end_line,         r.offset,        {},
          r.field_count, std::string(r.raw), r.raw_truncated, r.error};
  for (const auto f : r.fields) out.fields.emplace_back(f);
  return out;
}

csv_reader open_reader(std::string_view text, const csv_options& options, std::size_t chunk,
                       const std::string& encoding = {}) {
  source_options so;
  so.max_chunk = chunk;
  so.encoding = encoding;
  std::string message;
  auto reader = csv_reader::open(byte_source::from_memory(text, "t.csv", so), options, &message);
  if (!reader) FAIL("open failed: " << message);
  return std::move(*reader);
}

// What a reader gives before its first record, and the counters after its last one.
parsed parse_begin(const csv_reader& reader) {
  return {reader.header(), reader.header_line(), reader.delimiter(), {}, 0, 0, 0};
}
void parse_end(const csv_reader& reader, parsed& p) {
  CHECK(reader.records() == p.rows.size());
  p.blank_lines = reader.blank_lines();
  p.bytes = reader.bytes();
  p.ignored_cells = reader.ignored_cells();
}

// Reads everything from `text` with the source delivering at most `chunk` bytes per read.
parsed parse(std::string_view text, const csv_options& options = {}, std::size_t chunk = 0,
             const std::string& encoding = {}) {
  csv_reader reader = open_reader(text, options, chunk, encoding);
  parsed p = parse_begin(reader);
  csv_record r;
  while (reader.next(r)) p.rows.push_back(copy(r));
  parse_end(reader, p);
  return p;
}

// The same through next_batch() with batches of `batch` records; each batch is copied only once
// it is complete, so every view of every record must still be valid then. Also records the
// sizes of the batches.
parsed parse_batched(std::string_view text, const csv_options& options, std::size_t chunk,
                     std::size_t batch, std::vector<std::size_t>* sizes = nullptr) {
  csv_reader reader = open_reader(text, options, chunk);
  parsed p = parse_begin(reader);
  std::vector<csv_record> records(batch);
  for (;;) {
    const std::size_t n = reader.next_batch(records);
    if (n == 0) break;
    REQUIRE(n <= batch);
    if (sizes != nullptr) sizes->push_back(n);
    for (std::size_t k = 0; k < n; ++k) p.rows.push_back(copy(records[k]));
  }
  parse_end(reader, p);
  return p;
}

// The error (and message) of opening `text`, which must fail.
std::pair<boost::system::error_code, std::string> open_error(std::string_view text,
                                                             const csv_options& options = {}) {
  std::string message;
  auto reader = csv_reader::open(byte_source::from_memory(text, "t.csv"), options, &message);
  REQUIRE_FALSE(reader.has_value());
  return {reader.error(), message};
}

std::vector<std::string> fields(const row& r) { return r.fields; }
using sv = std::vector<std::string>;

}  // namespace

TEST_CASE("records carry their fields, lines and byte offsets") {
  const parsed p = parse("email,name\nann@x.io,Ann\nbob@y.io,Bob\n");
  CHECK(p.header == sv{"email", "name"});
  CHECK(p.header_line == 1);
  CHECK(p.delimiter == ',');
  REQUIRE(p.rows.size() == 2);
  CHECK(p.rows[0] == row{2, 2, 11, {"ann@x.io", "Ann"}, 2, "ann@x.io,Ann", false, csv_error::none});
  CHECK(p.rows[1] == row{3, 3, 24, {"bob@y.io", "Bob"}, 2, "bob@y.io,Bob", false, csv_error::none});
  CHECK(p.bytes == 37);
}

TEST_CASE("quoted fields: doubled quotes, delimiters and newlines inside") {
  const parsed p = parse(
      "email,note,city\n"
      "a@x.io,\"say \"\"hi\"\", then, go\",Paris\n"
      "b@x.io,\"two\nlines\r\nhere\",\"\"\n"
      "c@x.io,\"\",\"\"\"\"\n");
  REQUIRE(p.rows.size() == 3);
  CHECK(fields(p.rows[0]) == sv{"a@x.io", "say \"hi\", then, go", "Paris"});
  CHECK(fields(p.rows[1]) == sv{"b@x.io", "two\nlines\r\nhere", ""});
  CHECK(p.rows[1].line == 3);
  CHECK(p.rows[1].end_line == 5);
  CHECK(p.rows[1].raw == "b@x.io,\"two\nlines\r\nhere\",\"\"");
  CHECK(fields(p.rows[2]) == sv{"c@x.io", "", "\""});
  CHECK(p.rows[2].line == 6);
}

TEST_CASE("CRLF ends records; a CR inside quotes or alone is data") {
  const parsed p = parse("email,b\r\na@x,1\r\nb@x,\"q\r\"\r\nc@x,x\ry\r\nd@x,\"z\"\r");
  REQUIRE(p.rows.size() == 4);
  CHECK(p.header == sv{"email", "b"});
  CHECK(fields(p.rows[0]) == sv{"a@x", "1"});
  CHECK(p.rows[0].raw == "a@x,1");
  CHECK(fields(p.rows[1]) == sv{"b@x", "q\r"});
  CHECK(fields(p.rows[2]) == sv{"c@x", "x\ry"});
  CHECK(fields(p.rows[3]) == sv{"d@x", "z"});  // CR before the end of input: line ending
  CHECK(p.rows[3].offset == 35);
}

TEST_CASE("lenient quoting: stray quotes are literal, text after a closing quote is appended") {
  const parsed p = parse("email,b,c\nab\"c,\"x\"yz,d\"\"\nq,\"open\" close\"d,e\n");
  REQUIRE(p.rows.size() == 2);
  CHECK(fields(p.rows[0]) == sv{"ab\"c", "xyz", "d\"\""});
  CHECK(fields(p.rows[1]) == sv{"q", "open close\"d", "e"});
}

TEST_CASE("each delimiter is detected from the header, or taken as given") {
  for (const char d : {',', ';', '\t', '|'}) {
    CAPTURE(d);
    const std::string text = fmt::format("email{0}first name{0}\"a{0}b\"\nx@y{0}Ann{0}z\n", d);
    const parsed p = parse(text);
    CHECK(p.delimiter == d);
    CHECK(p.header == sv{"email", "first name", fmt::format("a{}b", d)});
    REQUIRE(p.rows.size() == 1);
    CHECK(fields(p.rows[0]) == sv{"x@y", "Ann", "z"});
  }
  CHECK(parse("email\nx@y\n").delimiter == ',');        // none occurs: comma
  CHECK(parse("a;b,c\n1;2,3\n").delimiter == ',');      // tie: comma first
  CHECK(parse("a;b;c,d\n1;2;3,4\n").delimiter == ';');  // most fields wins
  CHECK(parse("\"a,b\";c\n1;2\n").delimiter == ';');    // commas inside quotes do not count
  const parsed given = parse("a;b,c\n1;2,3\n", {.delimiter = ';'});
  CHECK(given.header == sv{"a", "b,c"});
  // The caller's test of a usable header (here: a field named Email) beats the counts.
  csv_options o;
  o.header_usable = [](std::span<const std::string_view> f) {
    return std::find(f.begin(), f.end(), "Email") != f.end();
  };
  CHECK(parse("Email;Company, Inc\n1;2\n", o).delimiter == ';');         // a tie
  CHECK(parse("Email;Name, First, Middle\n1;2\n", o).delimiter == ';');  // fewer fields
  CHECK(parse("Email,Company; Inc\n1,2\n", o).delimiter == ',');
  CHECK(parse("Mail;Company, Inc\n1;2\n", o).delimiter == ',');  // none usable: the counts
}

TEST_CASE("a delimiter whose quote runs away does not stop detection") {
  // With ';' the quote opens a field that never closes; with ',' it is a literal quote.
  std::string text = "a;\"b,c\n";
  for (int i = 0; i < 40; ++i) text += "1;2,3\n";
  for (const std::size_t chunk : {std::size_t{0}, std::size_t{5}}) {
    const parsed p = parse(text, {.max_record_bytes = 64}, chunk);
    CHECK(p.delimiter == ',');
    CHECK(p.header == sv{"a;\"b", "c"});
    CHECK(p.rows.size() == 40);
  }
}

TEST_CASE("a delimiter whose complete header is over the limit is passed over at any chunk size") {
  // With ';' the header is one complete record of four fields, but 40 bytes long; with ',' it is
  // two short fields. Whether the reader saw the whole line before the limit must not matter.
  const std::string text = "a;\"b,c\n" + std::string(30, 'x') + "\";d;e\n1,2\n";
  for (const std::size_t chunk : {std::size_t{0}, std::size_t{1}, std::size_t{5}}) {
    CAPTURE(chunk);
    const parsed p = parse(text, {.max_record_bytes = 20}, chunk);
    CHECK(p.delimiter == ',');
    CHECK(p.header == sv{"a;\"b", "c"});
  }
  // When no delimiter gives a short enough header, the error says so at any chunk size.
  for (const std::size_t chunk : {std::size_t{0}, std::size_t{3}}) {
    CAPTURE(chunk);
    std::string message;
    source_options so;
    so.max_chunk = chunk;
    auto reader = csv_reader::open(byte_source::from_memory(std::string(50, 'h') + "\n1\n", "t.csv", so),
                                   {.max_record_bytes = 20}, &message);
    REQUIRE_FALSE(reader.has_value());
    CHECK(message == "t.csv: line 1: header line longer than 20 bytes");
  }
}

TEST_CASE("max_raw_bytes above max_record_bytes is lowered to it, so raw is the same at any chunk") {
  const std::string text = "email\na@b.io\n" + std::string(100, 'z') + "\nc@d.io\n";
  std::vector<parsed> runs;
  for (const std::size_t chunk : {std::size_t{0}, std::size_t{1}, std::size_t{7}, std::size_t{64}}) {
    runs.push_back(parse(text, {.max_record_bytes = 16, .max_raw_bytes = 1000}, chunk));
    REQUIRE(runs.back().rows.size() == 3);
    CHECK(runs.back().rows[1].error == csv_error::record_too_long);
    CHECK(runs.back().rows[1].raw == std::string(16, 'z'));
    CHECK(runs.back().rows[1].raw_truncated);
    CHECK(runs.back() == runs.front());
  }
}

TEST_CASE("classic Mac line endings (lone CR) are read as line breaks at any chunk size") {
  const std::string text = "\rEmail,Note\ra@x.io,\"two\rlines\"\rb@x.io,ok\r\rc@x.io,last";
  std::vector<parsed> runs;
  for (const std::size_t chunk : {std::size_t{0}, std::size_t{1}, std::size_t{2}, std::size_t{5}}) {
    CAPTURE(chunk);
    csv_reader reader = open_reader(text, {}, chunk);
    CHECK(reader.cr_line_endings());
    parsed p = parse_begin(reader);
    csv_record r;
    while (reader.next(r)) p.rows.push_back(copy(r));
    parse_end(reader, p);
    CHECK(p.header == sv{"Email", "Note"});
    CHECK(p.header_line == 2);
    REQUIRE(p.rows.size() == 3);
    CHECK(p.rows[0] == row{3, 4, 12, {"a@x.io", "two\nlines"}, 2, "a@x.io,\"two\nlines\"", false,
                           csv_error::none});
    CHECK(p.rows[1].line == 5);
    CHECK(fields(p.rows[2]) == sv{"c@x.io", "last"});
    CHECK(p.rows[2].line == 7);
    CHECK(p.blank_lines == 2);
    CHECK(p.bytes == text.size());
    runs.push_back(p);
    CHECK(runs.back() == runs.front());
  }
}

TEST_CASE("a lone CR stays data when the first line ends with LF or CRLF") {
  for (const std::string eol : {"\n", "\r\n"}) {
    const std::string text = "email,note" + eol + "a@x.io,x\ry" + eol;
    for (const std::size_t chunk : {std::size_t{0}, std::size_t{1}}) {
      csv_reader reader = open_reader(text, {}, chunk);
      CHECK_FALSE(reader.cr_line_endings());
      csv_record r;
      REQUIRE(reader.next(r));
      CHECK(r.fields[1] == "x\ry");
    }
  }
  // Only the first max_record_bytes + 1 bytes decide: a CR further on is data whatever the
  // chunk size (here the header is then too long).
  const std::string text = std::string(40, 'h') + "\rnext\r";
  for (const std::size_t chunk : {std::size_t{0}, std::size_t{3}}) {
    std::string message;
    source_options so;
    so.max_chunk = chunk;
    auto reader = csv_reader::open(byte_source::from_memory(text, "t.csv", so),
                                   {.max_record_bytes = 20}, &message);
    REQUIRE_FALSE(reader.has_value());
    CHECK(message == "t.csv: line 1: header line longer than 20 bytes");
  }
}

TEST_CASE("an Excel sep= first line names the delimiter and is not the header") {
  for (const std::string eol : {"\n", "\r\n", "\r", "\"\n", "\"\r\n"}) {
    // The last two: the hint line quoted as a cell ("\"sep=;\""), as tools that quote every
    // cell write it.
    const bool quoted = eol.front() == '"';
    const std::string end = quoted ? eol.substr(1) : eol;
    const std::string text = std::string(quoted ? "\"" : "") + "SEP=;" + eol + "Email;Name,Title" +
                             end + "a@x.io;Lee, Ann" + end;
    for (const std::size_t chunk : {std::size_t{0}, std::size_t{1}, std::size_t{3}}) {
      CAPTURE(chunk);
      csv_reader reader = open_reader(text, {}, chunk);
      CHECK(reader.sep_line() == ';');
      CHECK(reader.delimiter() == ';');
      parsed p = parse_begin(reader);
      csv_record r;
      while (reader.next(r)) p.rows.push_back(copy(r));
      CHECK(p.header == sv{"Email", "Name,Title"});
      CHECK(p.header_line == 2);
      REQUIRE(p.rows.size() == 1);
      CHECK(p.rows[0].line == 3);
      CHECK(fields(p.rows[0]) == sv{"a@x.io", "Lee, Ann"});
    }
  }
  // A given delimiter wins over the hint; the line is still skipped.
  csv_reader given = open_reader("sep=;\nEmail,Name\na@x.io,Ann\n", {.delimiter = ','}, 0);
  CHECK(given.sep_line() == ';');
  CHECK(given.delimiter() == ',');
  CHECK(given.header() == sv{"Email", "Name"});
  // Anything else on the first line is an ordinary header.
  for (const std::string text : {"sep=;x\na\n", "sep\na\n", "sep=\"\na\n", "separator,email\n",
                                 "\"sep=;\"x\na\n", "\"sep=;x\"\na\n"}) {
    CAPTURE(text);
    csv_reader reader = open_reader(text, {}, 1);
    CHECK(reader.sep_line() == 0);
    CHECK(reader.header_line() == 1);
  }
  // A file holding nothing but the hint has no header.
  std::string message;
  CHECK_FALSE(
      csv_reader::open(byte_source::from_memory("sep=,", "t.csv"), {}, &message).has_value());
  CHECK(message == "t.csv: empty input (no header line)");
}

TEST_CASE(
    "a preamble before a usable header is skipped; without one the first line is the header") {
  csv_options o;
  o.header_usable = [](std::span<const std::string_view> f) {
    return std::find(f.begin(), f.end(), "Email Address") != f.end();
  };
  // LinkedIn's Connections export: a note, a quoted paragraph (with a comma and a newline), a
  // blank line, then the header.
  const std::string linkedin =
      "Notes:\r\n\"When exporting, some addresses are missing,\r\nsee the settings.\"\r\n\r\n"
      "First Name,Last Name,URL,Email Address,Company\r\nAnn,Lee,https://x,ann@acme.io,Acme\r\n";
  for (const std::size_t chunk : {std::size_t{0}, std::size_t{1}, std::size_t{7}}) {
    CAPTURE(chunk);
    csv_reader reader = open_reader(linkedin, o, chunk);
    CHECK(reader.preamble_line() == 1);
    parsed p = parse_begin(reader);
    csv_record r;
    while (reader.next(r)) p.rows.push_back(copy(r));
    parse_end(reader, p);
    CHECK(p.header == sv{"First Name", "Last Name", "URL", "Email Address", "Company"});
    CHECK(p.header_line == 5);
    CHECK(p.blank_lines == 1);
    REQUIRE(p.rows.size() == 1);
    CHECK(p.rows[0].line == 6);
    CHECK(p.rows[0].offset == linkedin.find("Ann,"));
  }
  // No usable line: the first line is the header and every line after it a row, as before.
  for (const std::size_t chunk : {std::size_t{0}, std::size_t{1}}) {
    const parsed p = parse("Mail,Name\n\na@x.io,Ann\nb@x.io,Bo\n", o, chunk);
    CHECK(p.header == sv{"Mail", "Name"});
    CHECK(p.header_line == 1);
    CHECK(p.rows.size() == 2);
    CHECK(p.blank_lines == 1);
  }
  // A usable line with no more fields than a line before it is data, not a header.
  CHECK(parse("Report,Q3,Owner\nEmail Address,x\n", o).header == sv{"Report", "Q3", "Owner"});
  // At most 10 lines are passed over.
  std::string far;
  for (int i = 0; i < 11; ++i) far += "note\n";
  CHECK(parse(far + "Email Address,Name\n", o).header == sv{"note"});
  CHECK(parse(far.substr(5) + "Email Address,Name\n", o).header_line == 11);
  // A preamble then a header and no rows; a preamble whose quote never closes.
  const parsed only = parse("Title\nEmail Address,Name\n", o, 1);
  CHECK(only.header_line == 2);
  CHECK(only.rows.empty());
  CHECK(parse("Title \"x\nEmail Address,Name\n", o).header_line == 2);
  // Without a usability test nothing is skipped.
  CHECK(open_reader(linkedin, {}, 0).preamble_line() == 0);
}

TEST_CASE("ragged rows are judged against the header; empty trailing extras are tolerated") {
  const parsed p = parse(
      "email,a,b,,\nx,1\nx,1,2\nx,1,2,,,\nx,1,2,3\nx,1,2,,4\nx,1,2,,,5\n"
      "x,1,2,,, \t\n");
  CHECK(p.header == sv{"email", "a", "b"});  // trailing empty names dropped
  REQUIRE(p.rows.size() == 7);
  CHECK(p.rows[0].error == csv_error::too_few_fields);
  CHECK(fields(p.rows[0]) == sv{"x", "1"});
  CHECK(p.rows[1].error == csv_error::none);
  CHECK(p.rows[2].error == csv_error::none);
  CHECK(fields(p.rows[2]) == sv{"x", "1", "2"});
  CHECK(p.rows[2].field_count == 6);
  // Cells under the two unnamed last columns are read and ignored, not too many.
  CHECK(p.rows[3].error == csv_error::none);
  CHECK(fields(p.rows[3]) == sv{"x", "1", "2"});
  CHECK(p.rows[3].field_count == 4);
  CHECK(p.rows[4].error == csv_error::none);
  CHECK(p.ignored_cells == 2);
  // Past every column of the header line, a cell with text is one too many; one of blanks
  // is as empty as an empty one.
  CHECK(p.rows[5].error == csv_error::too_many_fields);
  CHECK(p.rows[6].error == csv_error::none);
  CHECK(to_string(csv_error::too_many_fields) == "too many fields");
}

// A quote that never closes is a stray one: RFC 4180 would make the rest of the input one
// rejected row; its own line is rejected instead, and the lines after it are rows again.
TEST_CASE("an unterminated quote rejects only its own line; the lines after it are rows") {
  for (const std::size_t chunk : {std::size_t{0}, std::size_t{1}, std::size_t{5}}) {
    CAPTURE(chunk);
    const parsed p = parse("email,n\na@x,1\nb@x,\"never\r\nclosed,2\nc@x,3\n", {}, chunk);
    REQUIRE(p.rows.size() == 4);
    CHECK(p.rows[0].error == csv_error::none);
    CHECK(p.rows[1].error == csv_error::unterminated_quote);
    CHECK(p.rows[1].line == 3);
    CHECK(p.rows[1].end_line == 3);
    CHECK(p.rows[1].raw == "b@x,\"never");
    CHECK(p.rows[1].fields.empty());
    CHECK(fields(p.rows[2]) == sv{"closed", "2"});
    CHECK(p.rows[2].line == 4);
    CHECK(fields(p.rows[3]) == sv{"c@x", "3"});
    CHECK(p.rows[3].line == 5);
  }
  // On the last line, with or without a final LF, it is that line.
  const parsed last = parse("email,n\na@x,\"open");
  REQUIRE(last.rows.size() == 1);
  CHECK(last.rows[0].error == csv_error::unterminated_quote);
  CHECK(parse("email,n\na@x,\"ok\"").rows.at(0).error == csv_error::none);  // no final LF
}

TEST_CASE("a quote that closes lines later with text after it was stray") {
  for (const std::size_t chunk : {std::size_t{0}, std::size_t{1}, std::size_t{5}}) {
    CAPTURE(chunk);
    // Closed by the quote that opens a later cell: text follows it.
    const parsed odd = parse(
        "Email,First,Company,Notes\nann@x.io,Ann,Acme,\"Met at booth 5\n"
        "bob@x.io,Bob,Bobco,\"Prefers \"\"email\"\" contact\"\ncat@x.io,Cat,Catco,fine\n",
        {}, chunk);
    REQUIRE(odd.rows.size() == 3);
    CHECK(odd.rows[0].error == csv_error::unterminated_quote);
    CHECK(odd.rows[0].raw == "ann@x.io,Ann,Acme,\"Met at booth 5");
    CHECK(fields(odd.rows[1]) == sv{"bob@x.io", "Bob", "Bobco", "Prefers \"email\" contact"});
    CHECK(odd.rows[1].line == 3);
    CHECK(fields(odd.rows[2]) == sv{"cat@x.io", "Cat", "Catco", "fine"});
    // Closed by the opening quote of a later cell: "C" leaves C" after it.
    const parsed later = parse("email,company\na@x,\"Acme\nb@x,B\nc@x,\"C\"\nd@x,D\n", {}, chunk);
    REQUIRE(later.rows.size() == 4);
    CHECK(later.rows[0].error == csv_error::unterminated_quote);
    CHECK(fields(later.rows[1]) == sv{"b@x", "B"});
    CHECK(fields(later.rows[2]) == sv{"c@x", "C"});
    CHECK(fields(later.rows[3]) == sv{"d@x", "D"});
  }
  // A multi-line cell closed cleanly keeps its lines, even in a row of the wrong width (blanks
  // after the quote are allowed).
  const parsed wide = parse("email,notes\na@x,\"line 1\nline 2\",extra\nb@x,x\n");
  REQUIRE(wide.rows.size() == 2);
  CHECK(wide.rows[0].error == csv_error::too_many_fields);
  CHECK(wide.rows[0].end_line == 3);
  const parsed real = parse("email,notes,n\na@x,\"line 1\nline 2\" ,1\nb@x,x,2\n");
  REQUIRE(real.rows.size() == 2);
  CHECK(fields(real.rows[0]) == sv{"a@x", "line 1\nline 2 ", "1"});
  CHECK(real.rows[0].end_line == 3);
  // Backslash-escaped quotes (scrapers, MySQL, pandas): the cell that swallows lines is cut,
  // the rows after it are rows.
  const parsed bs = parse(
      "email,summary,company\nbs3@x,\"Quote at end \\\"\",Co3\nbs4@x,plain,Co4\nbs5@x,\"x\",Co5\n");
  REQUIRE(bs.rows.size() == 3);
  CHECK(bs.rows[0].error == csv_error::unterminated_quote);
  CHECK(fields(bs.rows[1]) == sv{"bs4@x", "plain", "Co4"});
  CHECK(fields(bs.rows[2]) == sv{"bs5@x", "x", "Co5"});
}

TEST_CASE("records over the limit are skipped to their true end and the run continues") {
  csv_options o;
  o.max_record_bytes = 64;
  o.max_raw_bytes = 16;
  // The long record has a quoted field with newlines and commas, so only quote tracking finds
  // its end. The small one is in the buffer whole; the 2 MB one is not and is skipped in passes.
  for (const std::size_t fill_size : {std::size_t{2'000'000}, std::size_t{500}}) {
    const std::string fill(fill_size, 'y');
    const std::string text = "email,note\na@x,1\nlong@x,\"" + fill + "\n,\n\"\"" + fill +
                             "\"\nb@x,2\n" + std::string(62, 'c') + ",d\n" + std::string(63, 'c') +
                             ",d\n";
    for (const std::size_t chunk : {std::size_t{0}, std::size_t{4099}}) {
      CAPTURE(chunk);
      const parsed p = parse(text, o, chunk);
      REQUIRE(p.rows.size() == 5);
      CHECK(p.rows[0].error == csv_error::none);
      CHECK(p.rows[1].error == csv_error::record_too_long);
      CHECK(p.rows[1].line == 3);
      CHECK(p.rows[1].end_line == 5);
      CHECK(p.rows[1].offset == 17);
      CHECK(p.rows[1].raw == "long@x,\"" + fill.substr(0, 8));
      CHECK(p.rows[1].raw_truncated);
      CHECK(p.rows[1].fields.empty());
      CHECK(p.rows[2] ==
            row{6, 6, text.find("b@x"), {"b@x", "2"}, 2, "b@x,2", false, csv_error::none});
      CHECK(p.rows[3].error == csv_error::none);  // exactly 64 bytes
      CHECK(p.rows[4].error == csv_error::record_too_long);
      CHECK(p.rows[4].line == 8);
    }
  }
}

TEST_CASE("a too-long record whose quote never closes is an unterminated quote") {
  csv_options o;
  o.max_record_bytes = 32;
  const std::string text = "email\na@x\n\"" + std::string(1'000'000, 'z') + "\n\n";
  for (const std::size_t chunk : {std::size_t{0}, std::size_t{777}}) {
    const parsed p = parse(text, o, chunk);
    REQUIRE(p.rows.size() == 2);
    CHECK(p.rows[1].error == csv_error::unterminated_quote);
    CHECK(p.rows[1].line == 3);
    CHECK(p.rows[1].end_line == 5);
  }
}

TEST_CASE("a 100 MB field is rejected without stopping the run") {
  const std::string text = "email,note\na@x,\"" + std::string(100'000'000, 'n') + "\"\nb@x,ok\n";
  const parsed p = parse(text);
  REQUIRE(p.rows.size() == 2);
  CHECK(p.rows[0].error == csv_error::record_too_long);
  CHECK(p.rows[0].raw.size() == csv_options{}.max_raw_bytes);
  CHECK(fields(p.rows[1]) == sv{"b@x", "ok"});
  CHECK(p.rows[1].line == 3);
}

TEST_CASE("a million columns: fields are capped at the header size") {
  std::string wide = "x";
  for (int i = 1; i < 1'000'000; ++i) wide += ",v";
  std::string empty_tail = "y";
  empty_tail.append(999'999, ',');
  csv_options o;
  o.max_record_bytes = 4 << 20;
  const parsed p = parse("email,a,b\n" + wide + "\n" + empty_tail + "\n", o, 0);
  REQUIRE(p.rows.size() == 2);
  CHECK(p.rows[0].error == csv_error::too_many_fields);
  CHECK(p.rows[0].field_count == 1'000'000);
  CHECK(p.rows[0].fields.size() == 3);
  CHECK(p.rows[1].error == csv_error::none);
  CHECK(fields(p.rows[1]) == sv{"y", "", ""});
  const auto [ec, message] = open_error(wide + "\n", o);
  CHECK(ec == csv_errc::bad_header);
  CHECK(message == "t.csv: line 1: header has more than 10000 columns");
}

TEST_CASE("NUL bytes are data") {
  const parsed p = parse(std::string("email,n\na\0b,\"\0\"\n", 16));
  REQUIRE(p.rows.size() == 1);
  CHECK(fields(p.rows[0]) == sv{std::string("a\0b", 3), std::string("\0", 1)});
}

TEST_CASE("blank lines are counted, not returned, before the header too") {
  const parsed p = parse("\n\r\nemail,n\n\na@x,1\r\n\r\n\nb@x,2\n\n");
  CHECK(p.header == sv{"email", "n"});
  CHECK(p.header_line == 3);
  REQUIRE(p.rows.size() == 2);
  CHECK(p.rows[0].line == 5);
  CHECK(p.rows[1].line == 8);
  CHECK(p.blank_lines == 6);
  // A line of spaces and tabs is as blank as an empty one (before the header too); a quoted
  // empty cell is not.
  const parsed spaces = parse(" \t\nemail,n\n  \n\t\r\n\"\"\n");
  CHECK(spaces.header == sv{"email", "n"});
  CHECK(spaces.blank_lines == 3);
  REQUIRE(spaces.rows.size() == 1);
  CHECK(spaces.rows[0].error == csv_error::too_few_fields);
}

TEST_CASE("a byte-order mark is not part of the first column name") {
  const parsed p = parse("\xEF\xBB\xBF\"email\",n\na@x,1\n");
  CHECK(p.header == sv{"email", "n"});
  CHECK(p.rows.at(0).offset == 10);  // offsets count the decoded stream, mark removed
}

TEST_CASE("whole-input problems: empty, blank only, header only, bad header") {
  auto [ec, message] = open_error("");
  CHECK(ec == csv_errc::empty_input);
  CHECK(message == "t.csv: empty input (no header line)");
  std::tie(ec, message) = open_error("\n\r\n\n");
  CHECK(ec == csv_errc::empty_input);
  std::tie(ec, message) = open_error("\n\"email,n\nx\n");
  CHECK(ec == csv_errc::bad_header);
  CHECK(message == "t.csv: line 2: unterminated quote in the header line");
  std::tie(ec, message) = open_error(",,,\n");
  CHECK(message == "t.csv: line 1: the header line has no column names");
  std::tie(ec, message) = open_error(std::string(100, 'h') + "\n", {.max_record_bytes = 99});
  CHECK(ec == csv_errc::bad_header);
  CHECK(message == "t.csv: line 1: header line longer than 99 bytes");
  std::tie(ec, message) = open_error("a\"b\n", {.delimiter = '"'});
  CHECK(ec == csv_errc::bad_options);
  CHECK(ec.message() == "bad csv options");
  std::tie(ec, message) = open_error("a\n", {.max_record_bytes = 0});
  CHECK(message == "t.csv: max_record_bytes must be between 1 byte and 1 GiB");
  const parsed header_only = parse("email,name\n");
  CHECK(header_only.rows.empty());
  CHECK(header_only.header == sv{"email", "name"});
}

TEST_CASE("fields are views into the buffer unless unescaping was needed") {
  csv_reader reader = open_reader("email,a,b\nx@y,plain,\"\"\"esc\"\"\"\n", {}, 0);
  csv_record r;
  REQUIRE(reader.next(r));
  const auto inside = [&](std::string_view f) {
    return f.data() >= r.raw.data() && f.data() + f.size() <= r.raw.data() + r.raw.size();
  };
  CHECK(inside(r.fields[0]));
  CHECK(inside(r.fields[1]));
  CHECK_FALSE(inside(r.fields[2]));
  CHECK(r.fields[2] == "\"esc\"");
  CHECK_FALSE(reader.next(r));
}

TEST_CASE("raw is cut on a character boundary") {
  csv_options o;
  o.max_raw_bytes = 5;
  const parsed p = parse("email\nab\xC3\xA9\xC3\xA9\xC3\xA9\n", o);
  CHECK(p.rows.at(0).raw == "ab\xC3\xA9");
  CHECK(p.rows.at(0).raw_truncated);
}

TEST_CASE("encoded and compressed inputs give the same records") {
  const std::string text = "email;name\r\nzoë@x.io;\"Zoë\r\nÅngström\"\r\nb@x;\"\"\"q\"\"\"\r\n";
  const parsed expected = parse(text);
  REQUIRE(expected.rows.size() == 2);
  CHECK(parse(leadpipe::test::utf16(text, true), {}, 3).rows == expected.rows);
  CHECK(parse(leadpipe::test::utf16(text, false), {}, 1).rows == expected.rows);
  CHECK(parse(leadpipe::test::gzip(text), {}, 2).rows == expected.rows);
  const parsed w1252 = parse("email\nzo\xEB@x.io\n", {}, 0, "windows-1252");
  CHECK(fields(w1252.rows.at(0)) == sv{"zoë@x.io"});
  const parsed latin1 = parse("email\nzo\xEB@x.io\n", {}, 1, "latin1");
  CHECK(fields(latin1.rows.at(0)) == sv{"zoë@x.io"});
}

TEST_CASE("a truncated gzip input throws source_error out of next()") {
  const std::string packed = leadpipe::test::gzip("email\n" + std::string(500'000, 'a'));
  csv_reader reader = open_reader(packed.substr(0, packed.size() - 10), {}, 0);
  csv_record r;
  CHECK_THROWS_AS(
      [&] {
        while (reader.next(r)) {
        }
      }(),
      leadpipe::source_error);
}

namespace {

// Everything the reader handles specially, in one input.
const std::string tricky =
    "\xEF\xBB\xBF\n\"email\";\"na;me\";c\r\n"
    "a@x;\"doubled \"\"q\"\"\";\"multi\r\nline\nfield\"\r\n"
    "\n"
    "b@x;lone\rcr;\"cr\r\"\n"
    "c@x;stray\"quote;\"after\"text\n"
    "d@x;too few\n"
    "e@x;1;2;;;\n"
    "f@x;1;2;3\n" +
    std::string("g@x;\0;nul\n", 10) + "h@x;" + std::string(300, 'L') + ";\"long\n\"\"quoted\"\"\n" +
    std::string(300, 'M') +
    "\"\n"
    "zoë@x;Ångström;東京😀\n"
    "i@x;\"unterminated\nto the end;\n";

// A byte-by-byte parser written from the documented rules, to check the fast one against.
parsed reference(std::string_view s, char d, std::size_t max_record, std::size_t max_raw) {
  parsed out;
  out.delimiter = d;
  std::uint64_t line = 1;
  std::size_t i = 0;
  bool have_header = false;
  std::size_t unnamed = 0;  // unnamed columns at the end of the header line
  while (i < s.size()) {
    const std::size_t start = i;
    enum class st { field_start, unquoted, quoted, quote_seen } state = st::field_start;
    std::vector<std::string> f;
    std::string cur;
    std::size_t cr_outside = 0;  // how many of the last bytes appended were CRs outside quotes
    bool terminated = false;
    std::uint64_t newlines = 0;
    // A quoted field with a line break, closed by a quote followed by text other than blanks.
    bool field_lf = false;
    std::size_t close_at = std::string::npos;
    bool odd_close = false;
    const auto end_field = [&] {
      if (field_lf && close_at != std::string::npos &&
          cur.find_first_not_of(" \t", close_at) != std::string::npos) {
        odd_close = true;
      }
      field_lf = false;
      close_at = std::string::npos;
    };
    for (; i < s.size(); ++i) {
      const char c = s[i];
      if (state == st::quoted) {
        if (c == '"') {
          state = st::quote_seen;
        } else {
          // CR CR LF inside quotes reads as CR LF (a CRLF converted once too often).
          if (c == '\n' && cur.size() >= 2 && cur.ends_with("\r\r")) cur.pop_back();
          cur += c;
          newlines += c == '\n' ? 1 : 0;
          field_lf = field_lf || c == '\n';
          cr_outside = 0;
        }
        continue;
      }
      if (state == st::quote_seen && c == '"') {
        cur += '"';
        state = st::quoted;
        continue;
      }
      if (state == st::quote_seen) close_at = cur.size();
      if (state == st::field_start && c == '"') {
        state = st::quoted;
        continue;
      }
      if (c == d) {
        end_field();
        f.push_back(std::exchange(cur, {}));
        state = st::field_start;
        cr_outside = 0;
        continue;
      }
      if (c == '\n') {
        terminated = true;
        break;
      }
      cur += c;
      state = st::unquoted;
      cr_outside = c == '\r' ? cr_outside + 1 : 0;
    }
    const bool unterminated = state == st::quoted;
    std::size_t content_end = i;
    if (!unterminated) {
      // Up to two CRs before the LF (or the end) belong to the line ending.
      if (state == st::quote_seen) close_at = cur.size();
      cur.resize(cur.size() - std::min<std::size_t>(cr_outside, 2));
      end_field();
      f.push_back(cur);
      for (int k = 0; k < 2 && content_end > start && s[content_end - 1] == '\r'; ++k) {
        --content_end;
      }
    }
    // A stray quote: a data row that never closes its quote, or longer than max_record and
    // still inside a quoted field after its first max_record bytes, is its first line alone.
    bool stray = false;
    if (have_header && (unterminated || content_end - start > max_record)) {
      std::size_t lf = std::string_view::npos;
      if (content_end - start > max_record) {
        enum class q { field_start, unquoted, quoted, quote_seen } qs = q::field_start;
        std::size_t first_lf = std::string_view::npos;
        for (std::size_t k = start; k < start + max_record; ++k) {
          const char c = s[k];
          if (qs == q::field_start) {
            qs = c == '"' ? q::quoted : (c == d ? q::field_start : q::unquoted);
          } else if (qs == q::unquoted) {
            if (c == d) qs = q::field_start;
          } else if (qs == q::quoted) {
            if (c == '"') qs = q::quote_seen;
            if (c == '\n' && first_lf == std::string_view::npos) first_lf = k;
          } else {
            qs = c == '"' ? q::quoted : (c == d ? q::field_start : q::unquoted);
          }
        }
        if (qs == q::quoted) lf = first_lf;
      } else {
        lf = s.find('\n', start);
      }
      if (lf != std::string_view::npos) {
        stray = true;
        content_end = lf;
        for (int k = 0; k < 2 && content_end > start && s[content_end - 1] == '\r'; ++k) {
          --content_end;
        }
        i = lf;
        terminated = true;
        newlines = 0;
      }
    }
    // A quoted field holding a line break, closed by a quote with text after it, took the lines
    // after a stray quote: the record is its first line.
    if (have_header && !unterminated && !stray && content_end - start <= max_record) {
      if (odd_close) {
        const std::size_t lf = s.find('\n', start);
        stray = true;
        content_end = lf;
        for (int k = 0; k < 2 && content_end > start && s[content_end - 1] == '\r'; ++k) {
          --content_end;
        }
        i = lf;
        terminated = true;
        newlines = 0;
      }
    }
    if (terminated) ++i;
    const std::uint64_t first_line = line;
    line += newlines + (terminated ? 1 : 0);
    const auto blank = [](std::string_view x) {
      return x.find_first_not_of(" \t") == std::string_view::npos;
    };
    if (!unterminated && blank(s.substr(start, content_end - start))) {
      ++out.blank_lines;
      continue;
    }
    if (!have_header) {
      const std::size_t width = f.size();
      while (!f.empty() && blank(f.back())) f.pop_back();
      unnamed = width - f.size();
      out.header = f;
      out.header_line = first_line;
      have_header = true;
      continue;
    }
    row r;
    r.line = first_line;
    r.end_line = first_line + newlines;
    r.offset = start;
    const std::size_t length = content_end - start;
    std::size_t kept = std::min(length, max_raw);
    while (kept < length && kept > 0 &&
           (static_cast<unsigned char>(s[start + kept]) & 0xC0) == 0x80)
      --kept;
    r.raw = std::string(s.substr(start, kept));
    r.raw_truncated = kept < length;
    const std::size_t h = out.header.size();
    if (unterminated || stray) {
      r.error = csv_error::unterminated_quote;
    } else if (length > max_record) {
      r.error = csv_error::record_too_long;
    } else {
      r.field_count = f.size();
      bool extra = false;
      for (std::size_t k = h; k < f.size(); ++k) {
        if (blank(f[k])) continue;
        if (k < h + unnamed) {
          ++out.ignored_cells;
        } else {
          extra = true;
        }
      }
      r.error = f.size() < h ? csv_error::too_few_fields
                             : (extra ? csv_error::too_many_fields : csv_error::none);
      if (f.size() > h) f.resize(h);
      r.fields = f;
    }
    out.rows.push_back(std::move(r));
  }
  out.bytes = s.size();
  return out;
}

}  // namespace

TEST_CASE("every chunk size gives the same records as one big chunk") {
  for (const std::size_t max_record : {std::size_t{1} << 20, std::size_t{200}}) {
    csv_options o;
    o.max_record_bytes = max_record;
    o.max_raw_bytes = 40;
    const parsed whole = parse(tricky, o);
    REQUIRE(whole.rows.size() == 11);
    CHECK(whole.header == sv{"email", "na;me", "c"});
    CHECK(whole.rows[7].error ==
          (max_record == 200 ? csv_error::record_too_long : csv_error::none));
    CHECK(whole.rows[9].error == csv_error::unterminated_quote);
    CHECK(whole.rows[10].error == csv_error::too_few_fields);  // the line after it: a row again
    const std::string packed = leadpipe::test::gzip(tricky);
    for (const std::size_t chunk : std::array<std::size_t, 9>{1, 2, 3, 5, 7, 11, 13, 64, 333}) {
      CAPTURE(max_record);
      CAPTURE(chunk);
      CHECK(parse(tricky, o, chunk) == whole);
      CHECK(parse(packed, o, chunk) == whole);
      // Batches hold the buffer in place until the next call, whatever their size.
      for (const std::size_t batch : std::array<std::size_t, 4>{1, 2, 7, 64}) {
        CAPTURE(batch);
        CHECK(parse_batched(tricky, o, chunk, batch) == whole);
      }
    }
  }
}

TEST_CASE("CR CR LF (a CRLF file converted once more) ends records like CRLF at any chunk size") {
  const std::string text =
      "Name,Email\r\r\nAnn,ann@x.io\r\r\n\r\r\n\"Lee\r\r\nNote\",bob@x.io\r\r\n"
      "Cy,cy@x.io\r\r\r\nDee,dee@x.io\r\r\n\"\"\"Q\"\"\r\r\nR\r\r\r\nS\",q@x.io\r\r\n";
  for (const std::size_t chunk : {std::size_t{0}, std::size_t{1}, std::size_t{2}, std::size_t{3}}) {
    CAPTURE(chunk);
    csv_reader reader = open_reader(text, {}, chunk);
    CHECK_FALSE(reader.cr_line_endings());
    const parsed p = parse(text, {}, chunk);
    CHECK(p.header == sv{"Name", "Email"});
    REQUIRE(p.rows.size() == 5);
    CHECK(fields(p.rows[0]) == sv{"Ann", "ann@x.io"});
    CHECK(p.rows[0].line == 2);
    CHECK(p.blank_lines == 1);
    // Inside quotes the line break was CR LF before the extra conversion, and reads as such.
    CHECK(fields(p.rows[1]) == sv{"Lee\r\nNote", "bob@x.io"});
    CHECK(p.rows[1].line == 4);
    CHECK(fields(p.rows[2]) == sv{"Cy", "cy@x.io\r"});  // a third CR is data
    CHECK(fields(p.rows[3]) == sv{"Dee", "dee@x.io"});
    CHECK(p.rows[3].raw == "Dee,dee@x.io");
    CHECK(fields(p.rows[4]) == sv{"\"Q\"\r\nR\r\r\nS", "q@x.io"});
    CHECK(p == reference(text, ',', std::size_t{1} << 20, std::size_t{16} << 10));
  }
  // The limit counts the record's text, not its line ending.
  const std::string exact =
      "e\r\r\n" + std::string(10, 'a') + "\r\r\n" + std::string(11, 'b') + "\r\r\n";
  for (const std::size_t chunk : {std::size_t{0}, std::size_t{1}, std::size_t{4}}) {
    const parsed p = parse(exact, {.max_record_bytes = 10}, chunk);
    REQUIRE(p.rows.size() == 2);
    CHECK(p.rows[0].error == csv_error::none);
    CHECK(p.rows[1].error == csv_error::record_too_long);
  }
}

TEST_CASE("the reader matches a byte-by-byte reference on the tricky input") {
  const std::string decoded = tricky.substr(3);  // the reader sees the stream without its mark
  for (const std::size_t max_record : {std::size_t{1} << 20, std::size_t{200}}) {
    csv_options o;
    o.max_record_bytes = max_record;
    o.max_raw_bytes = 40;
    CAPTURE(max_record);
    CHECK(parse(decoded, o, 0) == reference(decoded, ';', max_record, 40));
  }
}

TEST_CASE("seeded random inputs never crash and match the reference at any chunk size") {
  std::mt19937 rng(20240601);
  static constexpr std::array<std::string_view, 10> atoms = {
      "a", "b", ",", "\"", "\n", "\r", std::string_view("\0", 1), "\xC3\xA9", "\"\"", "\r\n"};
  for (int round = 0; round < 400; ++round) {
    std::string text = "h1,h2,h3\n";
    const std::size_t n = rng() % 120;
    for (std::size_t k = 0; k < n; ++k) text += atoms[rng() % atoms.size()];
    const std::size_t max_record = round % 2 == 0 ? std::size_t{1} << 20 : 12;
    csv_options o;
    o.delimiter = ',';
    o.max_record_bytes = max_record;
    o.max_raw_bytes = 8;
    CAPTURE(round);
    const std::string shown = escaped(text);
    CAPTURE(shown);
    const parsed expected = reference(text, ',', max_record, 8);
    CHECK(parse(text, o, 0) == expected);
    CHECK(parse(text, o, 1 + rng() % 9) == expected);
  }
}

TEST_CASE("next_batch: seeded random inputs match next() record for record") {
  std::mt19937 rng(20241126);
  static constexpr std::array<std::string_view, 9> atoms = {
      "a", "bb", ",", "\"", "\n", "\r", "\"\"", "\r\n", "\xC3\xA9"};
  for (int round = 0; round < 300; ++round) {
    std::string text = "h1,h2,h3\n";
    const std::size_t n = rng() % 200;
    for (std::size_t k = 0; k < n; ++k) text += atoms[rng() % atoms.size()];
    csv_options o;
    o.delimiter = ',';
    o.max_record_bytes = round % 3 == 0 ? 10 : std::size_t{1} << 20;
    o.max_raw_bytes = 8;
    CAPTURE(round);
    const std::string shown = escaped(text);
    CAPTURE(shown);
    CHECK(parse_batched(text, o, 1 + rng() % 9, 1 + rng() % 16) == parse(text, o));
  }
}

TEST_CASE("a batch ends where the buffer must be refilled, never empty before the end") {
  // Records of 36 bytes with quoted, doubled-quote fields (unescaped into scratch space), from a
  // source that delivers 1000 bytes per read: each refill ends a batch.
  std::string text = "a,b\n";
  for (int i = 0; i < 500; ++i) text += fmt::format("\"x\"\"{:07}\"\"y\",{:020}\n", i, i);
  csv_options o;
  o.max_record_bytes = 200;
  std::vector<std::size_t> sizes;
  const parsed p = parse_batched(text, o, 1000, 1000, &sizes);
  REQUIRE(p.rows.size() == 500);
  CHECK(p.rows[499].fields == sv{fmt::format("x\"{:07}\"y", 499), fmt::format("{:020}", 499)});
  CHECK(sizes.size() > 1);  // the reader does not hold the whole input at once
  for (const std::size_t n : sizes) CHECK(n > 0);
  CHECK(p == parse(text, o));
}

// A quote that closes much later: within max_record_bytes it is a (long) multi-line cell, as
// RFC 4180 says; a record longer than that, still inside the quote after max_record_bytes, is
// a stray quote and only its first line is rejected.
TEST_CASE("a record over the limit inside a quote is cut at its first line") {
  csv_options o;
  o.max_record_bytes = 64;
  std::string text = "email,title\na@x,\"Sales\n";
  for (int i = 0; i < 10; ++i) text += "r" + std::to_string(i) + "@x,T\n";
  text += "z@x,VP\"\nlast@x,ok\n";
  for (const std::size_t chunk : {std::size_t{0}, std::size_t{1}, std::size_t{7}}) {
    CAPTURE(chunk);
    const parsed p = parse(text, o, chunk);
    REQUIRE(p.rows.size() == 13);
    CHECK(p.rows[0].error == csv_error::unterminated_quote);
    CHECK(p.rows[0].raw == "a@x,\"Sales");
    CHECK(fields(p.rows[1]) == sv{"r0@x", "T"});
    CHECK(fields(p.rows[11]) == sv{"z@x", "VP\""});  // a quote inside an unquoted cell is data
    CHECK(fields(p.rows[12]) == sv{"last@x", "ok"});
    CHECK(p == reference(text, ',', 64, std::size_t{16} << 10));
  }
  // Short enough: one multi-line cell, as the standard reads it.
  o.max_record_bytes = 1 << 20;
  const parsed whole = parse(text, o);
  REQUIRE(whole.rows.size() == 2);
  CHECK(whole.rows[0].end_line == 13);
}
