#include "leadpipe/utf8.hpp"

#include <doctest/doctest.h>

namespace u = leadpipe::utf8;

TEST_CASE("well-formed UTF-8 is accepted") {
  CHECK(u::is_valid(""));
  CHECK(u::is_valid("plain ascii text that is longer than eight bytes"));
  CHECK(u::is_valid("Zoë Ångström 東京 😀"));
  CHECK(u::is_valid("\xF4\x8F\xBF\xBF"));  // U+10FFFF
}

TEST_CASE("ill-formed sequences are rejected") {
  CHECK_FALSE(u::is_valid("\x80"));              // stray continuation
  CHECK_FALSE(u::is_valid("\xC0\xAF"));          // overlong
  CHECK_FALSE(u::is_valid("\xE0\x80\xAF"));      // overlong 3-byte
  CHECK_FALSE(u::is_valid("\xED\xA0\x80"));      // surrogate
  CHECK_FALSE(u::is_valid("\xF4\x90\x80\x80"));  // above U+10FFFF
  CHECK_FALSE(u::is_valid("abc\xE2\x82"));       // truncated at end
  CHECK_FALSE(u::is_valid("\xFF"));
}

// is_ascii() reads 64- and 16-byte blocks with an overlapping tail, and is_valid() hands
// non-ASCII text to simdjson's vector validator: every length around those block sizes, with
// each sequence at every position, must give what the byte-at-a-time definition gives.
TEST_CASE("block-wise checks agree with a byte-at-a-time reference at every length and place") {
  const auto reference_valid = [](std::string_view s) {
    for (std::size_t i = 0; i < s.size();) {
      const std::size_t n = u::sequence_length(s, i);
      if (n == 0) return false;
      i += n;
    }
    return true;
  };
  const std::string_view pieces[] = {"\xC3\xA9", "\xE6\x9D\xB1", "\xF0\x9F\x98\x80", "\x80",
                                     "\xC0\xAF", "\xED\xA0\x80", "\xF4\x90\x80\x80", "\xE2\x82",
                                     "\xFF",     "\x7F"};
  for (std::size_t len = 0; len <= 140; ++len) {
    const std::string base(len, 'a');
    CHECK(u::is_ascii(base));
    CHECK(u::is_valid(base));
    for (const std::string_view piece : pieces) {
      for (std::size_t at = 0; at <= len; ++at) {
        std::string s = base;
        s.insert(at, piece);
        CAPTURE(len);
        CAPTURE(at);
        CHECK(u::is_ascii(s) == (piece == "\x7F"));
        CHECK(u::is_valid(s) == reference_valid(s));
      }
    }
  }
}

TEST_CASE("repair replaces each maximal subpart with one U+FFFD") {
  std::string out;
  CHECK(u::append_repaired(out, "ok") == 0);
  CHECK(out == "ok");
  out.clear();
  CHECK(u::append_repaired(out, "a\xE2\x82" "b") == 1);  // truncated 3-byte sequence
  CHECK(out == "a\xEF\xBF\xBD" "b");
  out.clear();
  CHECK(u::append_repaired(out, "\xC0\xAF") == 2);  // C0 is never a lead byte
  CHECK(out == "\xEF\xBF\xBD\xEF\xBF\xBD");
  out.clear();
  CHECK(u::append_repaired(out, "Caf\xE9 ok") == 1);  // latin1 é
  CHECK(out == "Caf\xEF\xBF\xBD ok");
  CHECK(u::is_valid(out));
}

TEST_CASE("text is valid UTF-8 without NUL; append_text repairs both") {
  using namespace std::string_view_literals;
  CHECK(u::is_text("caf\xC3\xA9"));
  CHECK(u::is_text(""));
  CHECK_FALSE(u::is_text("a\0b"sv));
  CHECK_FALSE(u::is_text("caf\xE9"));
  std::string out;
  CHECK(u::append_text(out, "ok") == 0);
  CHECK(out == "ok");
  out.clear();
  CHECK(u::append_text(out, "\0A\0\0caf\xE9\0"sv) == 5);
  CHECK(out ==
        "\xEF\xBF\xBD"
        "A\xEF\xBF\xBD\xEF\xBF\xBD"
        "caf\xEF\xBF\xBD\xEF\xBF\xBD");
  CHECK(u::is_text(out));
}

TEST_CASE("decode and append round-trip") {
  for (char32_t cp : {U'a', U'\u00E9', U'\u6771', U'\U0001F600', U'\U0010FFFF'}) {
    std::string s;
    u::append(s, cp);
    REQUIRE(u::sequence_length(s, 0) == s.size());
    CHECK(u::decode(s, 0, s.size()) == cp);
  }
}

TEST_CASE("prefix never ends inside a UTF-8 sequence") {
  using leadpipe::utf8::prefix;
  CHECK(prefix("abc", 10) == "abc");
  CHECK(prefix("abcdef", 3) == "abc");
  const std::string s = "ab\xC3\xA9" "cd";  // "abécd": é is bytes 2-3
  CHECK(prefix(s, 3) == "ab");
  CHECK(prefix(s, 4) == "ab\xC3\xA9");
  CHECK(prefix("\xE2\x82\xAC", 2).empty());
}

TEST_CASE("printable escapes control bytes and bad UTF-8, and cuts long text") {
  using leadpipe::utf8::printable;
  CHECK(printable("ann@acme.io") == "ann@acme.io");
  CHECK(printable(std::string_view("e\0m\0", 4)) == "e\\x00m\\x00");
  CHECK(printable("a\tb\r\n\x7f") == "a\\x09b\\x0d\\x0a\\x7f");
  CHECK(printable("Zo\xC3\xAB \xE6\x9D\xB1") == "Zo\xC3\xAB \xE6\x9D\xB1");  // kept as text
  CHECK(printable("caf\xE9!") == "caf\\xe9!");
  CHECK(printable(std::string(100, 'x'), 10) == std::string(10, 'x') + "...");
  CHECK(printable("ab\xC3\xAB", 3) == "ab...");  // never cut inside a character
}
