#include "leadpipe/json_writer.hpp"

#include <doctest/doctest.h>
#include <simdjson.h>

using leadpipe::append_json_string;
using leadpipe::json_writer;

namespace {
std::string quoted(std::string_view s) {
  std::string out;
  append_json_string(out, s);
  return out;
}
// Parses `json` as a one-element array holding a string and returns it, proving the escape
// round-trips through a real JSON parser.
std::string round_trip(std::string_view s) {
  std::string doc = "[" + quoted(s) + "]";
  simdjson::dom::parser parser;
  simdjson::dom::element e = parser.parse(doc);
  return std::string(std::string_view(e.at(0)));
}
}  // namespace

TEST_CASE("plain text is copied verbatim") { CHECK(quoted("ana@acme.io") == "\"ana@acme.io\""); }

TEST_CASE("quotes, backslashes and control characters are escaped") {
  CHECK(quoted("a\"b\\c") == "\"a\\\"b\\\\c\"");
  CHECK(quoted("l1\nl2\r\t") == "\"l1\\nl2\\r\\t\"");
  CHECK(quoted(std::string_view("\x01\x1f", 2)) == "\"\\u0001\\u001f\"");
  CHECK(quoted(std::string_view("a\0b", 3)) == "\"a\\u0000b\"");
}

TEST_CASE("valid UTF-8 passes, invalid bytes become U+FFFD, line separators are escaped") {
  CHECK(quoted("Müller 東京") == "\"Müller 東京\"");
  CHECK(quoted("a\xff" "b") == "\"a\xEF\xBF\xBD" "b\"");
  CHECK(quoted("\xC0\xAF") == "\"\xEF\xBF\xBD\xEF\xBF\xBD\"");        // overlong '/'
  CHECK(quoted("\xED\xA0\x80") == "\"\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\"");  // surrogate
  CHECK(quoted("x\xE2\x80\xA8y") == "\"x\\u2028y\"");
}

TEST_CASE("escaped strings round-trip through simdjson") {
  for (std::string s : {std::string("plain"), std::string("q\"uote\\"), std::string("\x01\x7f"),
                        std::string("tab\tnew\nline"), std::string("ünï©ødé")}) {
    CHECK(round_trip(s) == s);
  }
}

TEST_CASE("writer inserts commas and nests") {
  std::string out;
  json_writer w(out);
  w.begin_object().key("a").value(1).key("b").begin_array().value("x").value(true).null();
  w.end_array().key("c").begin_object().end_object().key("d").value(2.5).end_object();
  CHECK(out == R"({"a":1,"b":["x",true,null],"c":{},"d":2.5})");
  simdjson::dom::parser parser;
  CHECK(parser.parse(out).error() == simdjson::SUCCESS);
}

TEST_CASE("64-bit ids and non-finite doubles") {
  std::string out;
  json_writer w(out);
  w.begin_array().value(std::int64_t{3000000001}).value(std::uint64_t{18446744073709551615ULL});
  w.value(1.0 / 0.0).end_array();
  CHECK(out == "[3000000001,18446744073709551615,null]");
}
