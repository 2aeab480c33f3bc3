#include "leadpipe/output_file.hpp"

#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <sys/stat.h>
#include <unistd.h>

#include <thread>

#include <doctest/doctest.h>

using namespace leadpipe;
namespace fs = std::filesystem;

namespace {
std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}
fs::path temp_dir() {
  auto d = fs::temp_directory_path() / ("leadpipe_output_test_" + std::to_string(::getpid()));
  fs::create_directories(d);
  return d;
}
std::string cell(std::string_view v, bool neutralise = true) {
  std::string out;
  append_csv_cell(out, v, neutralise);
  return out;
}
}  // namespace

TEST_CASE("csv cells are quoted only when needed") {
  CHECK(cell("plain") == "plain");
  CHECK(cell("a,b") == "\"a,b\"");
  CHECK(cell("say \"hi\"") == "\"say \"\"hi\"\"\"");
  CHECK(cell("two\nlines") == "\"two\nlines\"");
  CHECK(cell(" padded") == "\" padded\"");
  CHECK(cell("") == "");
}

TEST_CASE("formulas are neutralised, phone numbers and numbers are not") {
  CHECK(looks_like_formula("=SUM(A1:A9)"));
  CHECK(looks_like_formula("@cmd"));
  CHECK(looks_like_formula("+cmd|' /C calc'!A0"));
  CHECK(looks_like_formula("-2+3"));
  CHECK(looks_like_formula("\t=1"));
  CHECK(looks_like_formula("-"));
  CHECK_FALSE(looks_like_formula("+1 (555) 010-0199"));
  CHECK_FALSE(looks_like_formula("-12.5"));
  CHECK_FALSE(looks_like_formula("Ana"));
  CHECK_FALSE(looks_like_formula(""));
  CHECK(cell("=HYPERLINK(\"http://x\")") == "\"'=HYPERLINK(\"\"http://x\"\")\"");
  CHECK(cell("=1", false) == "=1");
}

TEST_CASE("unguard_cell takes back exactly the mark append_csv_cell puts") {
  for (const std::string_view v : {"=eq@x.io", "-ann@x.io", "+bo@x.io", "@Handle Corp", "-", "\t=1",
                                   "=SUM(A1:A9)"}) {
    CAPTURE(v);
    const std::string guarded = "'" + std::string(v);
    CHECK(unguard_cell(guarded) == v);
  }
  // Not a mark: what follows would not have been guarded, or there is nothing after it.
  for (const std::string_view v : {"'+1 (555) 010-0199", "'Ana", "'", "''=1", "Ana", "", "O'Neil"}) {
    CAPTURE(v);
    CHECK(unguard_cell(v) == v);
  }
}

// Regression for the single-pass cell scan: every length around the 4/8/16-byte load widths,
// with each special byte at every position, encodes like the plain per-byte definition.
TEST_CASE("cell quoting finds a special byte at any position and length") {
  const auto reference = [](std::string_view v) {
    bool quote = looks_like_formula(v) || (!v.empty() && (v.front() == ' ' || v.back() == ' '));
    for (char c : v) quote = quote || c == ',' || c == '"' || c == '\r' || c == '\n';
    if (!quote) return std::string(v);
    std::string out = looks_like_formula(v) ? "\"'" : "\"";
    for (char c : v) {
      if (c == '"') out.push_back('"');
      out.push_back(c);
    }
    return out + "\"";
  };
  for (std::size_t len = 1; len <= 40; ++len) {
    const std::string base(len, 'a');
    CHECK(cell(base) == base);
    for (std::size_t at = 0; at < len; ++at) {
      for (char special : {',', '"', '\r', '\n', ' ', '=', '+', '\x80'}) {
        std::string v = base;
        v[at] = special;
        CAPTURE(v);
        CHECK(cell(v) == reference(v));
      }
    }
  }
}

// put_plain_csv_value() skips the quote scan for cells that cannot hold a comma, quote, CR or LF
// (--out's cells of quote-free records): for every such cell it must write exactly what
// put_csv_cell() writes without neutralising, formula-like starts, phone numbers and blanks at
// either end included, at every length.
TEST_CASE("plain cells encode exactly like any cell, at every length") {
  const auto both = [](const std::string& v) {
    std::string a(csv_cell_bound(v.size()), '\0');
    std::string b(csv_cell_bound(v.size()), '\0');
    a.resize(static_cast<std::size_t>(put_csv_cell(a.data(), v, false) - a.data()));
    b.resize(static_cast<std::size_t>(put_plain_csv_value(b.data(), v) - b.data()));
    CAPTURE(v);
    CHECK(a == b);
  };
  both("");
  for (std::size_t len = 1; len <= 70; ++len) {
    std::string base;
    for (std::size_t i = 0; i < len; ++i) base.push_back(static_cast<char>('a' + i % 26));
    both(base);
    for (const char* lead : {"=", "@", "\t", "+", "-", " ", "+1 ", "-12.", "+a"}) {
      both((lead + base).substr(0, len));
    }
    both(base.substr(0, len - 1) + " ");
    both("+" + std::string(len, '5'));
    both("+1 (555) " + std::string(len, '0') + "-x");
    both(std::string(len, '\xC3') + "\xA9");
  }
}

TEST_CASE("output_file writes, appends and renames atomically") {
  const auto dir = temp_dir();
  const auto path = (dir / "a.csv").string();
  {
    output_file f(path, true);
    f.write("hello,");
    CHECK_FALSE(fs::exists(path));  // still under its .tmp name
    f.write(std::string(3 << 20, 'x'));  // larger than the buffer
    f.close();
  }
  CHECK(fs::file_size(path) == 6 + (3u << 20));
  {
    auto f = output_file::append_to(path);
    f.write("!");
  }
  const std::string all = slurp(path);
  CHECK(all.substr(0, 6) == "hello,");
  CHECK(all.back() == '!');
  fs::remove_all(dir);
}

TEST_CASE("an atomic output_file that is not closed keeps its .tmp and the earlier file") {
  const auto dir = temp_dir();
  const auto path = (dir / "clean.csv").string();
  std::ofstream(path) << "yesterday's complete file\n";
  {
    output_file f(path, true);
    f.write("partial,");
    // Destroyed without close(), as when an error ends the run.
  }
  CHECK(slurp(path) == "yesterday's complete file\n");
  CHECK(slurp(path + ".tmp") == "partial,");
  fs::remove_all(dir);
}

TEST_CASE("an atomic output_file writes a FIFO or device in place and never renames over it") {
  const auto dir = temp_dir();
  const auto fifo = (dir / "pipe").string();
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  std::string got;
  std::thread reader([&] { got = slurp(fifo); });
  {
    output_file f(fifo, true);
    f.write("a,b\n");
    f.close();
  }
  reader.join();
  CHECK(got == "a,b\n");
  struct stat st {};
  REQUIRE(::stat(fifo.c_str(), &st) == 0);
  CHECK(S_ISFIFO(st.st_mode));
  CHECK_FALSE(fs::exists(fifo + ".tmp"));
  {
    output_file null("/dev/null", true);
    null.write("discarded");
    null.close();
  }
  REQUIRE(::stat("/dev/null", &st) == 0);
  CHECK(S_ISCHR(st.st_mode));
  // A symbolic link to a regular file (as /dev/stdout is when standard output was redirected to
  // one) stays a link: the file it names is written in place.
  const std::string target = (dir / "target.csv").string();
  const std::string link = (dir / "link.csv").string();
  { std::ofstream(target) << "old\n"; }
  fs::create_symlink(target, link);
  {
    output_file f(link, true);
    f.write("new\n");
    f.close();
  }
  CHECK(fs::is_symlink(link));
  CHECK_FALSE(fs::exists(link + ".tmp"));
  std::ifstream in(target);
  std::string line;
  std::getline(in, line);
  CHECK(line == "new");
  fs::remove_all(dir);
}

TEST_CASE("output_file reports the file name when it cannot open") {
  try {
    output_file f("/nonexistent-dir/x.csv");
    FAIL("expected output_error");
  } catch (const output_error& e) {
    CHECK(std::string(e.what()).find("/nonexistent-dir/x.csv: cannot open for writing") !=
          std::string::npos);
  }
}

TEST_CASE("output_file turns a full disk into an error") {
  if (!fs::exists("/dev/full")) return;
  output_file f("/dev/full");
  f.write("data");
  CHECK_THROWS_AS(f.flush(), output_error);
}

TEST_CASE("rows put through reserve() and commit() keep their order with write() and buffer()") {
  const auto dir = temp_dir();
  const auto path = (dir / "raw.csv").string();
  std::string want;
  {
    output_file f(path);
    f.write("header\n");
    want += "header\n";
    // Enough rows to spill the 1 MiB buffer several times, in every mix of the three ways in.
    for (int i = 0; i < 60000; ++i) {
      const std::string row = "row " + std::to_string(i) + ",\"quoted, cell\",x\n";
      if (i % 1000 == 999) {
        f.buffer() += row;  // leaves raw mode
        f.maybe_spill();
      } else if (i % 7 == 0) {
        f.write(row);
      } else {
        char* p = f.reserve(row.size() * 2);
        p = put_csv_cell(p, "row " + std::to_string(i));
        *p++ = ',';
        p = put_csv_cell(p, "quoted, cell");
        *p++ = ',';
        p = put_csv_cell(p, "x");
        *p++ = '\n';
        f.commit(p);
      }
      want += row;
      CHECK(f.size() == want.size());
    }
    char* p = f.reserve(std::size_t{3} << 20);  // a row larger than the buffer
    std::memset(p, 'y', std::size_t{3} << 20);
    f.commit(p + (std::size_t{3} << 20));
    want += std::string(std::size_t{3} << 20, 'y');
    f.close();
  }
  CHECK(slurp(path) == want);
  fs::remove_all(dir);
}

// A legal name of 252-255 bytes has no room for ".tmp": the working name is then a shorter
// hidden one in the same directory, and the file still ends under its own name.
TEST_CASE("an output whose name leaves no room for .tmp is still written atomically") {
  for (const std::size_t length : {251U, 252U, 255U}) {
    const fs::path p = temp_dir() / std::string(length, 'n');
    {
      output_file f(p.string(), true);
      f.write("x\n");
      f.close();
    }
    CHECK(slurp(p) == "x\n");
    fs::remove(p);
  }
  std::size_t left = 0;
  for (const auto& e : fs::directory_iterator(temp_dir()))
    left += e.path().string().ends_with(".tmp");
  CHECK(left == 0);
}
