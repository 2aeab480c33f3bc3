#include "leadpipe/source.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <random>
#include <thread>

#include <doctest/doctest.h>
#include <fmt/format.h>
#include <xxhash.h>

#include "source_test_util.hpp"

using leadpipe::byte_source;
using leadpipe::source_errc;
using leadpipe::source_error;
using leadpipe::source_options;
using leadpipe::test::gzip;
using leadpipe::test::read_all;
using leadpipe::test::temp_file;
using leadpipe::test::utf16;

namespace {

constexpr std::array<std::size_t, 6> chunk_sizes = {0, 1, 2, 3, 7, 4093};

std::string xxh128_hex(std::string_view data) {
  XXH128_canonical_t c;
  XXH128_canonicalFromHash(&c, XXH3_128bits(data.data(), data.size()));
  std::string hex;
  for (const unsigned char b : c.digest) hex += fmt::format("{:02x}", b);
  return hex;
}

// Seeded text with some multi-byte characters, long enough to span several internal blocks.
std::string sample_text(std::size_t bytes, unsigned seed) {
  std::mt19937 rng(seed);
  static constexpr std::array<std::string_view, 8> words = {
      "email", "zoë", "東京", "ann@example.com", ",", "\n", "\"q\"", "😀"};
  std::string s;
  while (s.size() < bytes) s += words[rng() % words.size()];
  return s;
}

// Reads the whole source with the given chunk bound and returns the decoded text.
std::string decode(std::string_view raw, std::size_t chunk, std::string encoding = {}) {
  source_options o;
  o.max_chunk = chunk;
  o.encoding = std::move(encoding);
  auto src = byte_source::from_memory(raw, "mem.csv", o);
  return read_all(src, chunk == 0 ? 65536 : chunk + 5);
}

// Runs `f`, which must throw source_error; returns it for inspection.
template <typename F>
source_error expect_source_error(F&& f) {
  try {
    f();
  } catch (const source_error& e) {
    return e;
  }
  FAIL("no source_error thrown");
  return source_error(source_errc::read_failed, "unreachable");
}

}  // namespace

TEST_CASE("plain UTF-8 passes through unchanged at every chunk size") {
  const std::string text = sample_text(300'000, 1);
  for (const std::size_t chunk : chunk_sizes) {
    CAPTURE(chunk);
    CHECK(decode(text, chunk) == text);
  }
  auto src = byte_source::from_memory(text, "mem.csv");
  CHECK_FALSE(src.compressed());
  CHECK(src.encoding() == "utf-8");
}

TEST_CASE("a UTF-8 byte-order mark is removed, and only at the start") {
  CHECK(decode("\xEF\xBB\xBF"
               "email\n",
               0) == "email\n");
  CHECK(decode("\xEF\xBB\xBF"
               "email\n",
               1) == "email\n");
  CHECK(decode("\xEF\xBB\xBF", 0).empty());
  CHECK(decode("a\xEF\xBB\xBF", 0) == "a\xEF\xBB\xBF");
  CHECK(decode("\xEF\xBB", 0) == "\xEF\xBB");  // too short to be a mark: data
}

TEST_CASE("empty input yields nothing, and read keeps returning 0 at the end") {
  auto src = byte_source::from_memory("", "empty.csv");
  std::array<char, 8> buf{};
  CHECK(src.read(buf.data(), buf.size()) == 0);
  CHECK(src.read(buf.data(), buf.size()) == 0);
  CHECK(src.raw_digest() == xxh128_hex(""));
  CHECK(src.raw_size() == 0U);
}

TEST_CASE("raw size, bytes read and digest describe the stored bytes") {
  const std::string text = sample_text(200'000, 2);
  const std::string packed = gzip(text);
  for (const std::string* stored : {&text, &packed}) {
    const temp_file file(stored == &text ? "digest.csv" : "digest.csv.gz", *stored);
    for (const std::size_t chunk : {std::size_t{0}, std::size_t{7}}) {
      source_options o;
      o.max_chunk = chunk;
      auto src = byte_source::open(file.path(), o);
      CHECK(src.name() == file.path());
      CHECK(src.raw_size() == stored->size());
      CHECK(src.raw_bytes_read() <= stored->size());
      CHECK(read_all(src, 1000) == text);
      CHECK(src.raw_bytes_read() == stored->size());
      CHECK(src.raw_digest() == xxh128_hex(*stored));
      CHECK(src.compressed() == (stored == &packed));
    }
  }
}

TEST_CASE("gzip is detected by its magic bytes and inflated at every chunk size") {
  const std::string text = sample_text(700'000, 3);
  const std::string packed = gzip(text);
  for (const std::size_t chunk : chunk_sizes) {
    CAPTURE(chunk);
    CHECK(decode(packed, chunk) == text);
  }
  CHECK(decode(gzip(""), 0).empty());
}

TEST_CASE("concatenated gzip members read as one stream") {
  const std::string a = sample_text(90'000, 4);
  const std::string b = "second member\n";
  const std::string packed = gzip(a) + gzip("") + gzip(b, 1) + gzip(a, 9);
  for (const std::size_t chunk : {std::size_t{0}, std::size_t{1}, std::size_t{5}}) {
    CAPTURE(chunk);
    CHECK(decode(packed, chunk) == a + b + a);
  }
}

TEST_CASE("truncated gzip is a truncated_gzip error naming the input") {
  const std::string packed = gzip(sample_text(50'000, 5));
  for (const std::size_t keep : {std::size_t{2}, std::size_t{9}, std::size_t{30}, packed.size() / 2,
                                 packed.size() - 8, packed.size() - 1}) {
    CAPTURE(keep);
    const auto e = expect_source_error([&] { decode(packed.substr(0, keep), 0); });
    CHECK(e.code() == source_errc::truncated_gzip);
    CHECK(std::string_view(e.what()).starts_with("mem.csv: truncated gzip"));
  }
}

TEST_CASE("corrupt gzip data, a bad checksum and trailing garbage are corrupt_gzip errors") {
  const std::string text = sample_text(50'000, 6);
  const std::string packed = gzip(text);
  std::string flipped = packed;
  flipped[packed.size() / 2] = static_cast<char>(flipped[packed.size() / 2] ^ 0x55);
  std::string bad_crc = packed;
  bad_crc[packed.size() - 6] = static_cast<char>(bad_crc[packed.size() - 6] ^ 0x01);
  for (const std::string* input : {&flipped, &bad_crc}) {
    const auto e = expect_source_error([&] { decode(*input, 0); });
    CHECK(e.code() == source_errc::corrupt_gzip);
    CHECK(std::string_view(e.what()).starts_with("mem.csv: corrupt gzip data"));
  }
  const auto e = expect_source_error([&] { decode(packed + "garbage!", 3); });
  CHECK(e.code() == source_errc::corrupt_gzip);
  CHECK(std::string_view(e.what()).find("after gzip member 1 is not gzip") !=
        std::string_view::npos);
}

TEST_CASE("UTF-16 LE and BE with a byte-order mark are converted to UTF-8") {
  const std::string text = "email,name\r\nann@example.com,Zoë 東京 😀\n" + sample_text(100'000, 7);
  for (const bool le : {true, false}) {
    const std::string raw = utf16(text, le);
    for (const std::size_t chunk : chunk_sizes) {
      CAPTURE(le);
      CAPTURE(chunk);
      CHECK(decode(raw, chunk) == text);
    }
    auto src = byte_source::from_memory(raw, "u16.csv");
    CHECK(src.encoding() == (le ? "utf-16le" : "utf-16be"));
  }
  CHECK(decode(gzip(utf16(text, true)), 3) == text);  // gzip first, then the mark
}

TEST_CASE("windows-1252 and latin1 are converted when named") {
  const std::string raw = "caf\xE9 \x80 \x93quoted\x94 na\xEFve\n";
  CHECK(decode(raw, 0, "windows-1252") ==
        "caf\xC3\xA9 \xE2\x82\xAC \xE2\x80\x9Cquoted\xE2\x80\x9D na\xC3\xAFve\n");
  CHECK(decode(raw, 1, "cp1252") == decode(raw, 0, "windows-1252"));
  // latin1 and ISO-8859-1 labels read as windows-1252 (WHATWG rule): 0x80..0x9F are the
  // punctuation spreadsheets put there, never C1 control codes.
  CHECK(decode(raw, 0, "latin1") == decode(raw, 0, "windows-1252"));
  CHECK(decode(raw, 2, "ISO-8859-1") == decode(raw, 0, "windows-1252"));
  auto src = byte_source::from_memory(raw, "w.csv", {.encoding = "windows-1252", .max_chunk = 0});
  CHECK(src.encoding() == "windows-1252");
  CHECK(decode("plain", 0, "utf8") == "plain");
}

TEST_CASE("--encoding auto tells UTF-8, windows-1252 and UTF-16 without a mark apart") {
  const auto chosen = [](const std::string& raw) {
    return byte_source::from_memory(raw, "a.csv", {.encoding = "auto", .max_chunk = 0}).encoding();
  };
  const std::string utf8 = "email,name\nann@x.io,Zo\xC3\xAB M\xC3\xBCller\n";
  const std::string cp1252 =
      "email;name\r\nann@x.io;J\xFCrgen M\xFCller \x96 Stra\xDF"
      "e\r\n";
  const std::string text =
      "email,name\r\nann@example.com,Zo\xC3\xAB 東京\n" + sample_text(10'000, 3);
  CHECK(chosen(utf8) == "utf-8");
  CHECK(chosen("email\n") == "utf-8");
  CHECK(chosen("") == "utf-8");
  CHECK(chosen(cp1252) == "windows-1252");
  CHECK(chosen("email\nJos\xE9") == "windows-1252");  // the odd byte last in a short input
  // Excel's "CSV (Macintosh)": Mac Roman with lines ending in a lone CR.
  CHECK(chosen("email,name\rjose@x.io,Jos\x8E\r") == "macintosh");
  CHECK(decode("email,name\rjose@x.io,Jos\x8E\r", 1, "auto") ==
        "email,name\rjose@x.io,Jos\xC3\xA9\r");
  CHECK(chosen("email,name\r\nJos\xE9\r\n") == "windows-1252");
  CHECK(chosen("email,name\r\r\nJos\xE9\r\r\n") == "windows-1252");
  CHECK(chosen(utf16(text, true).substr(2)) == "utf-16le");  // substr: the mark removed
  CHECK(chosen(utf16(text, false).substr(2)) == "utf-16be");
  CHECK(chosen(utf16(text, true)) == "utf-16le");  // with its mark
  for (const std::size_t chunk : chunk_sizes) {
    CAPTURE(chunk);
    CHECK(decode(utf8, chunk, "auto") == utf8);
    CHECK(decode(cp1252, chunk, "auto") == decode(cp1252, 0, "windows-1252"));
    CHECK(decode(utf16(text, true).substr(2), chunk, "auto") == text);
    CHECK(decode(gzip(cp1252), chunk, "auto") == decode(cp1252, 0, "windows-1252"));
  }
  // Only the first MiB is looked at: a UTF-8 sequence cut by its end still counts as UTF-8, and
  // a windows-1252 byte after it is left to the repair (and its warning) downstream.
  std::string late(std::size_t{1} << 20, 'a');
  late.replace(late.size() - 1, 1, "\xC3");
  late += "\xAB, then caf\xE9\n";
  CHECK(chosen(late) == "utf-8");
  CHECK(decode(late, 7, "auto") == late);
}

TEST_CASE("--encoding auto tells windows-1252 from Mac Roman by their lower-case letters") {
  const auto chosen = [](const std::string& raw) {
    return byte_source::from_memory(raw, "a.csv", {.encoding = "auto", .max_chunk = 0}).encoding();
  };
  // windows-1252 with lone CRs (a Windows file through a classic Mac tool): its letters win
  // over the line endings, and its closing quote after a letter counts for neither.
  CHECK(chosen("email,name\rbo@x.io,Caf\xE9 \x96 \x93x\x94 \x80\r") == "windows-1252");
  // Mac Roman with LF endings: "Café", "Müller".
  CHECK(chosen("email,name\nbo@x.io,Caf\x8E M\x9Fller\n") == "macintosh");
  // The apostrophe of "don't" is windows-1252's, not Mac Roman's i with acute.
  CHECK(chosen("email,note\nbo@x.io,don\x92t\n") == "windows-1252");
  // A byte windows-1252 leaves undefined ("Ångström" in Mac Roman, capitals only): Mac Roman.
  CHECK(chosen("email,name\nbo@x.io,\x81NGSTR\x85M\n") == "macintosh");
  // No letter decides: the line endings do.
  CHECK(chosen("email,name\rbo@x.io,\x93x\r") == "macintosh");
  CHECK(chosen("email,name\nbo@x.io,\x93x\n") == "windows-1252");
}

TEST_CASE("a read of a pipe that waits for input ends at a stop request") {
  const std::string fifo =
      (std::filesystem::temp_directory_path() / fmt::format("leadpipe-stop-{}", ::getpid()))
          .string();
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    const int fd = ::open(fifo.c_str(), O_WRONLY);
    const std::string_view text = "email\nann@x.io\n";
    CHECK(::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()));
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    stop.store(true);  // the pipe stays open and silent: only the stop ends the read
    std::this_thread::sleep_for(std::chrono::milliseconds(700));
    ::close(fd);
  });
  auto src = byte_source::open(fifo, {.encoding = "", .max_chunk = 0, .stop = &stop});
  std::array<char, 64> buf{};
  std::string got;
  while (got.size() < 15) {
    const std::size_t n = src.read(buf.data(), buf.size());
    REQUIRE(n != 0);
    got.append(buf.data(), n);
  }
  CHECK(got == "email\nann@x.io\n");
  const auto started = std::chrono::steady_clock::now();
  const auto e = expect_source_error([&] { (void)src.read(buf.data(), buf.size()); });
  CHECK(e.code() == source_errc::stopped);
  CHECK(std::chrono::steady_clock::now() - started < std::chrono::milliseconds(650));
  writer.join();
  std::filesystem::remove(fifo);
}

TEST_CASE("a byte-order mark wins over the named encoding") {
  CHECK(decode(utf16("zoë", true), 0, "windows-1252") == "zoë");
  CHECK(decode("\xEF\xBB\xBFzo\xC3\xAB", 0, "latin1") == "zoë");
}

TEST_CASE("an unknown encoding fails before reading") {
  const auto e = expect_source_error([] { decode("x", 0, "klingon-8"); });
  CHECK(e.code() == source_errc::unknown_encoding);
  CHECK(std::string_view(e.what()).starts_with("mem.csv: unknown encoding 'klingon-8'"));
}

TEST_CASE("bytes that are not valid in the encoding are undecodable_input") {
  SUBCASE("UTF-16 ending in half a code unit") {
    const auto e = expect_source_error([] { decode(utf16("ab", true) + "c", 1); });
    CHECK(e.code() == source_errc::undecodable_input);
    CHECK(std::string_view(e.what()).find("input ends inside a utf-16le character") !=
          std::string_view::npos);
  }
  SUBCASE("an unpaired surrogate") {
    std::string raw = utf16("ab", false);
    raw += std::string(
        "\xD8\x00\x00"
        "c",
        4);
    const auto e = expect_source_error([&] { decode(raw, 0); });
    CHECK(e.code() == source_errc::undecodable_input);
  }
  SUBCASE("a high byte in US-ASCII, with its position") {
    const auto e = expect_source_error([] { decode("abc\xE9z", 0, "us-ascii"); });
    CHECK(e.code() == source_errc::undecodable_input);
    CHECK(std::string_view(e.what()).find("at byte 3 (e9)") != std::string_view::npos);
  }
  SUBCASE("the text before the bad bytes is read first, the error comes with the next read") {
    std::string raw(20'000, 'a');
    raw += "\xE9z";
    auto src = byte_source::from_memory(raw, "mem.csv", {.encoding = "us-ascii", .max_chunk = 0});
    std::string got(30'000, '\0');
    std::size_t n = 0;
    while (n < 20'000) {
      const std::size_t k = src.read(got.data() + n, got.size() - n);
      REQUIRE(k != 0);
      n += k;
    }
    CHECK(n == 20'000);
    const auto e = expect_source_error([&] { (void)src.read(got.data(), got.size()); });
    CHECK(std::string_view(e.what()).find("at byte 20000 (e9)") != std::string_view::npos);
  }
}

TEST_CASE("open failures name the path in lower case") {
  const std::string missing =
      (std::filesystem::temp_directory_path() / "leadpipe-no-such-file.csv").string();
  auto e = expect_source_error([&] { (void)byte_source::open(missing); });
  CHECK(e.code() == source_errc::open_failed);
  CHECK(std::string(e.what()) == missing + ": cannot open: no such file or directory");
  e = expect_source_error(
      [] { (void)byte_source::open(std::filesystem::temp_directory_path().string()); });
  CHECK(e.code() == source_errc::open_failed);
  CHECK(std::string_view(e.what()).ends_with(": cannot open: is a directory"));
}

TEST_CASE("a failing read(2) is read_failed") {
  // Reading /proc/self/mem at offset 0 fails with EIO: a real read error on demand.
  const auto e = expect_source_error([] { (void)byte_source::open("/proc/self/mem"); });
  CHECK(e.code() == source_errc::read_failed);
  CHECK(std::string(e.what()) == "/proc/self/mem: read failed: input/output error");
}

TEST_CASE("standard input through a pipe, gzip included") {
  const std::string text = sample_text(300'000, 8);  // more than a pipe buffer holds
  const std::string packed = gzip(text);
  std::array<int, 2> fds{};
  REQUIRE(::pipe(fds.data()) == 0);
  const int saved_stdin = ::dup(STDIN_FILENO);
  REQUIRE(::dup2(fds[0], STDIN_FILENO) == STDIN_FILENO);
  ::close(fds[0]);
  std::thread writer([&] {
    std::size_t done = 0;
    while (done < packed.size()) {
      const ssize_t n = ::write(fds[1], packed.data() + done, packed.size() - done);
      if (n <= 0) break;
      done += static_cast<std::size_t>(n);
    }
    ::close(fds[1]);
  });
  std::string got;
  std::optional<std::uint64_t> size;
  std::string name;
  {
    auto src = byte_source::open("-");
    got = read_all(src, 4096);
    size = src.raw_size();
    name = src.name();
  }
  writer.join();
  ::dup2(saved_stdin, STDIN_FILENO);
  ::close(saved_stdin);
  CHECK(got == text);
  CHECK_FALSE(size.has_value());
  CHECK(name == "<stdin>");
}

// An export rewritten in place, or still being written, under a running job: the end of the
// file says so (size or modification time differ from the opening, or fewer/more bytes read).
TEST_CASE("a file truncated or appended to while it is read is noticed at its end") {
  const std::string text(1 << 20, 'x');
  SUBCASE("unchanged") {
    temp_file f("same.csv", text);
    byte_source src = byte_source::open(f.path());
    CHECK(read_all(src).size() == text.size());
    CHECK(src.changed_while_read().empty());
  }
  SUBCASE("truncated") {
    temp_file f("cut.csv", text);
    byte_source src = byte_source::open(f.path());
    std::array<char, 4096> buf{};
    REQUIRE(src.read(buf.data(), buf.size()) > 0);
    std::filesystem::resize_file(f.path(), 100000);
    (void)read_all(src);
    CHECK(src.changed_while_read().find("1048576 bytes when opened") != std::string::npos);
  }
  SUBCASE("appended to") {
    temp_file f("grow.csv", text);
    byte_source src = byte_source::open(f.path());
    std::array<char, 4096> buf{};
    REQUIRE(src.read(buf.data(), buf.size()) > 0);
    {
      std::ofstream more(f.path(), std::ios::binary | std::ios::app);
      more << "more\n";
    }
    (void)read_all(src);
    CHECK(src.changed_while_read().find("1048581 bytes at the end") != std::string::npos);
  }
}
