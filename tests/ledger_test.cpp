// The ledger's checkpoints: the watermark a journal record names never falls below what the
// outcome files already hold (a resumed run skips settled rows without passing the watermark).
#include "leadpipe/ledger.hpp"

#include <filesystem>

#include <doctest/doctest.h>
#include <unistd.h>

using namespace leadpipe;
namespace fs = std::filesystem;

namespace {

journal_identity test_identity() {
  journal_identity id;
  id.base_url = "https://127.0.0.1:1/api/v1";
  id.campaign_id = 1;
  id.input_path = "leads.csv";
  return id;
}

}  // namespace

TEST_CASE("a checkpoint's watermark never goes back, and a local row raises it") {
  const fs::path dir =
      fs::temp_directory_path() / ("leadpipe_ledger_test_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const std::string journal_path = (dir / "j.journal").string();
  const journal_identity id = test_identity();
  {
    report rep("import");
    outcome_files files((dir / "out.csv").string(), (dir / "rej.csv").string());
    journal_writer j = journal_writer::create(journal_path, id);
    ledger led(rep, files, &j);
    led.advance_watermark(42);  // a resumed run starts from the earlier run's watermark
    led.advance_watermark(41);  // ... and then skips rows below it: no step back
    batch b;
    b.id = 1;
    b.leads.push_back(batch_lead{40, "a@acme.io", 0, 0});
    const std::vector<lead_settlement> s(1, lead_settlement{});
    led.settle(b, s, true);
    row_result r;
    r.line = 50;
    r.email = "bad";
    r.what = outcome::invalid_email;
    led.local(r);  // written under the lock, so the next checkpoint includes it
    b.id = 2;
    b.leads[0].line = 45;
    led.settle(b, s, true);
    files.close();
  }
  std::string msg;
  auto st = read_journal(journal_path, &msg);
  REQUIRE_MESSAGE(st.has_value(), msg);
  CHECK(st->last.watermark_line == 50);
  fs::remove_all(dir);
}

// A full disk under the outcome files: the batch whose checkpoint flush fails is not journaled
// and not cached (a resumed run redoes it and must find it missing from the cache to confirm
// it as added); the ledger throws once, then only counts, so the report still adds up.
TEST_CASE("a write that fails freezes the ledger: no journal record, no cached member") {
  const fs::path dir =
      fs::temp_directory_path() / ("leadpipe_ledger_full_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const std::string journal_path = (dir / "j.journal").string();
  const journal_identity id = test_identity();
  std::vector<std::string> members;
  {
    report rep("import");
    outcome_files files("/dev/full", "");  // every flush fails with ENOSPC
    journal_writer j = journal_writer::create(journal_path, id);
    ledger led(rep, files, &j);
    led.on_member = [&members](std::string_view e, outcome) { members.emplace_back(e); };
    batch b;
    b.id = 1;
    b.leads.push_back(batch_lead{2, "a@acme.io", 0, 0});
    b.leads.push_back(batch_lead{3, "b@acme.io", 0, 0});
    const std::vector<lead_settlement> s(2, lead_settlement{});
    CHECK_THROWS_AS(led.settle(b, s, true), ledger_error);
    REQUIRE(led.failure().has_value());
    CHECK(led.failure()->find("/dev/full") != std::string::npos);
    CHECK(rep.outcomes()[outcome::added] == 2);
    // Later settlements and local rows are counted, not written, not journaled, not cached.
    b.id = 2;
    b.leads[0].line = 4;
    b.leads[1].line = 5;
    CHECK_NOTHROW(led.settle(b, s, true));
    row_result r;
    r.line = 6;
    r.email = "bad";
    r.what = outcome::invalid_email;
    CHECK_NOTHROW(led.local(r));
    CHECK_NOTHROW(led.finish());
    CHECK(rep.outcomes()[outcome::added] == 4);
    CHECK(rep.outcomes()[outcome::invalid_email] == 1);
  }
  CHECK(members.empty());
  std::string msg;
  auto st = read_journal(journal_path, &msg);
  REQUIRE_MESSAGE(st.has_value(), msg);
  CHECK_FALSE(st->acked_lines.contains(2));
  CHECK_FALSE(st->acked_lines.contains(4));
  CHECK_FALSE(st->finished);
  fs::remove_all(dir);
}
