#include "leadpipe/journal.hpp"

#include <filesystem>
#include <fstream>

#include <unistd.h>

#include <doctest/doctest.h>

using namespace leadpipe;
namespace fs = std::filesystem;

namespace {
fs::path temp_file(const char* name) {
  auto d = fs::temp_directory_path() / ("leadpipe_journal_test_" + std::to_string(::getpid()));
  fs::create_directories(d);
  return d / name;
}
journal_identity sample_identity() {
  journal_identity id;
  id.base_url = "https://127.0.0.1:8443/api/v1";
  id.campaign_id = 3000000001;
  id.input_path = "leads \"q\".csv";
  id.input_size = 12345;
  id.input_xxh3 = "00112233445566778899aabbccddeeff";
  id.outcomes_path = "out.csv";
  id.rejects_path = "";
  id.settings = "cross_campaign=skip";
  return id;
}
std::string read_all(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}
}  // namespace

TEST_CASE("line_set is a bitmap of lines") {
  line_set s;
  s.insert(5);
  s.insert(5);
  s.insert(100000);
  CHECK(s.size() == 2);
  CHECK(s.contains(5));
  CHECK(s.contains(100000));
  CHECK_FALSE(s.contains(6));
  CHECK_FALSE(s.contains(1u << 30));
}

TEST_CASE("journal round trip: identity, batches, checkpoint, finish") {
  const auto path = temp_file("a.journal").string();
  {
    auto w = journal_writer::create(path, sample_identity());
    const std::uint64_t b1[] = {9, 2, 4};
    w.record_batch(1, b1, {10, 300, 40});
    w.record_dispatch(3, 12);
    const std::uint64_t b2[] = {12, 11};
    w.record_batch(3, b2, {20, 500, 40});
    w.record_dispatch(4, 17);
  }
  std::string msg;
  auto st = read_journal(path, &msg);
  REQUIRE_MESSAGE(st.has_value(), msg);
  CHECK(st->identity.campaign_id == 3000000001);
  CHECK(st->identity.input_path == "leads \"q\".csv");
  CHECK(st->identity.settings == "cross_campaign=skip");
  CHECK(st->batches_acked == 2);
  CHECK(st->max_batch_id == 4);
  CHECK(st->max_dispatched_line == 17);
  CHECK(st->acked_lines.size() == 5);
  for (std::uint64_t l : {2U, 4U, 9U, 11U, 12U}) CHECK(st->acked_lines.contains(l));
  CHECK_FALSE(st->acked_lines.contains(10));
  CHECK(st->last.watermark_line == 20);
  CHECK(st->last.outcomes_bytes == 500);
  CHECK_FALSE(st->finished);
  {
    auto w = journal_writer::reopen(path);
    w.record_finished({30, 600, 50});
  }
  st = read_journal(path, &msg);
  REQUIRE(st.has_value());
  CHECK(st->finished);
  CHECK(st->last.watermark_line == 30);
  // A --resume that sends again what the finished job could not import writes batches after
  // the F record: the job is open again until its next F.
  {
    auto w = journal_writer::reopen(path);
    const std::uint64_t again[] = {10};
    w.record_batch(5, again, {30, 550, 40});
  }
  st = read_journal(path, &msg);
  REQUIRE(st.has_value());
  CHECK_FALSE(st->finished);
  CHECK(st->last.outcomes_bytes == 550);
}

TEST_CASE("a torn last record is ignored and cut on reopen") {
  const auto path = temp_file("torn.journal").string();
  {
    auto w = journal_writer::create(path, sample_identity());
    const std::uint64_t b1[] = {2};
    w.record_batch(1, b1, {2, 10, 0});
  }
  { std::ofstream(path, std::ios::app | std::ios::binary) << "deadbeef K 2 5 20 0 1 3"; }
  std::string msg;
  auto st = read_journal(path, &msg);
  REQUIRE(st.has_value());
  CHECK(st->torn_tail);
  CHECK(st->batches_acked == 1);
  {
    auto w = journal_writer::reopen(path);
    const std::uint64_t b2[] = {3};
    w.record_batch(2, b2, {5, 20, 0});
  }
  st = read_journal(path, &msg);
  REQUIRE(st.has_value());
  CHECK_FALSE(st->torn_tail);
  CHECK(st->batches_acked == 2);
}

TEST_CASE("corruption before the tail, a foreign file and an unknown version are refused") {
  std::string msg;
  const auto path = temp_file("bad.journal").string();
  {
    auto w = journal_writer::create(path, sample_identity());
    const std::uint64_t b1[] = {2};
    w.record_batch(1, b1, {2, 10, 0});
    w.record_batch(2, b1, {2, 10, 0});
  }
  std::string text = read_all(path);
  const auto k = text.find(" K 1 ");
  text[k + 3] = '7';  // change the batch id without fixing the checksum
  { std::ofstream(path, std::ios::binary | std::ios::trunc) << text; }
  CHECK_FALSE(read_journal(path, &msg).has_value());
  CHECK(msg.find(":2: corrupt journal record") != std::string::npos);

  { std::ofstream(path, std::ios::binary | std::ios::trunc) << "email\na@b.io\n"; }
  CHECK_FALSE(read_journal(path, &msg).has_value());

  CHECK_FALSE(read_journal(temp_file("missing.journal").string(), &msg).has_value());
  CHECK(msg.find("cannot open journal") != std::string::npos);
}

TEST_CASE("journal_path names campaign and input hash") {
  CHECK(journal_path("/s", 7, "00112233445566778899aabbccddeeff") ==
        "/s/import-7-0011223344556677.journal");
}

TEST_CASE("regression (fuzz): a line number near 2^64 costs no more memory than line 1") {
  // fuzz/regressions/journal/huge_line_number_allocates_bitmap: the dense bitmap grew to the
  // largest line, so one record naming line 2^56 asked for 2^50 bytes.
  line_set s;
  s.insert(std::uint64_t{1} << 63);
  s.insert(~std::uint64_t{0});
  s.insert(3);
  CHECK(s.size() == 3);
  CHECK(s.contains(std::uint64_t{1} << 63));
  CHECK(s.contains(~std::uint64_t{0}));
  CHECK_FALSE(s.contains((std::uint64_t{1} << 63) + 1));

  const auto path = temp_file("huge.journal").string();
  {
    auto w = journal_writer::create(path, sample_identity());
    const std::uint64_t lines[] = {std::uint64_t{1} << 56, 2};
    w.record_batch(1, lines, {2, 10, 0});
  }
  std::string msg;
  const auto st = read_journal(path, &msg);
  REQUIRE_MESSAGE(st.has_value(), msg);
  CHECK(st->acked_lines.contains(std::uint64_t{1} << 56));
  CHECK(st->acked_lines.size() == 2);
}

TEST_CASE("regression (fuzz): reopen cuts a complete last line whose checksum fails") {
  // fuzz/regressions/journal/reopen_appends_after_corrupt_last_line: the reader ignores a
  // corrupt last line as a torn tail, but reopen() only cut a line without its LF, so the next
  // record turned the corrupt line into corruption mid-file and the journal became unreadable.
  const auto path = temp_file("corrupt-tail.journal").string();
  {
    auto w = journal_writer::create(path, sample_identity());
    const std::uint64_t b1[] = {2};
    w.record_batch(1, b1, {2, 10, 0});
  }
  { std::ofstream(path, std::ios::app | std::ios::binary) << "deadbeef K 2 5 20 0 1 3\n"; }
  std::string msg;
  auto st = read_journal(path, &msg);
  REQUIRE(st.has_value());
  CHECK(st->torn_tail);
  {
    auto w = journal_writer::reopen(path);
    w.record_dispatch(2, 3);
  }
  st = read_journal(path, &msg);
  REQUIRE_MESSAGE(st.has_value(), msg);
  CHECK_FALSE(st->torn_tail);
  CHECK(st->batches_acked == 1);
  CHECK(st->max_dispatched_line == 3);
}

TEST_CASE("parse_journal reads a journal from memory and names it in messages") {
  std::string msg;
  CHECK_FALSE(parse_journal("", "mem.journal", &msg).has_value());
  CHECK(msg == "mem.journal: empty journal");
  CHECK_FALSE(parse_journal("0000000 I {}\n", "mem.journal", &msg).has_value());
  CHECK(msg == "mem.journal:1: corrupt journal record");
}

TEST_CASE("regression (fuzz): identity strings that are not UTF-8 read back byte for byte") {
  // fuzz/regressions/journal/identity_not_utf8_reads_back: json_writer replaced the bad bytes
  // with U+FFFD, so a resumed import of a Latin-1-named file compared, truncated and appended to
  // files that do not exist. Valid UTF-8 is still written as plain JSON strings.
  const auto path = temp_file("latin1.journal").string();
  journal_identity id = sample_identity();
  id.input_path = "ventes_\xE9t\xE9.csv";
  id.outcomes_path = "r\xE9sultats.csv";
  journal_writer::create(path, id);
  CHECK(read_all(path).find("\"input_path_hex\":\"76656e7465735fe974e92e637376\"") !=
        std::string::npos);
  CHECK(read_all(path).find("\"settings\":\"cross_campaign=skip\"") != std::string::npos);
  std::string msg;
  const auto st = read_journal(path, &msg);
  REQUIRE_MESSAGE(st.has_value(), msg);
  CHECK(st->identity.input_path == id.input_path);
  CHECK(st->identity.outcomes_path == id.outcomes_path);
  CHECK(st->identity.base_url == id.base_url);
}
