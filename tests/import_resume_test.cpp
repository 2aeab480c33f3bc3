// A leadpipe import process killed with SIGKILL at random moments and resumed until it finishes:
// exactly the expected leads end in the campaign and every row is in the outcome file once.
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <random>
#include <thread>

#include "import_test_env.hpp"
#include "leadpipe/csv.hpp"

extern char** environ;

using namespace leadpipe;
using namespace leadpipe::testing;

namespace {

pid_t spawn(const std::vector<std::string>& args) {
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  std::vector<std::string> env_store = {"SMARTLEAD_API_KEY=sim-key", "PATH=/usr/bin:/bin"};
  std::vector<char*> envp;
  for (auto& e : env_store) envp.push_back(e.data());
  envp.push_back(nullptr);
  pid_t pid = 0;
  REQUIRE(posix_spawn(&pid, argv[0], nullptr, nullptr, argv.data(), envp.data()) == 0);
  return pid;
}

std::string read_all(const std::string& path) {
  std::ifstream in(path);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Reads the outcome file: line -> (outcome, count of appearances).
std::map<std::uint64_t, std::pair<std::string, int>> outcomes_by_line(const std::string& path) {
  std::map<std::uint64_t, std::pair<std::string, int>> out;
  auto rd = csv_reader::open(byte_source::open(path));
  REQUIRE(rd.has_value());
  csv_record rec;
  while (rd->next(rec)) {
    REQUIRE(rec.fields.size() >= 3);
    auto& slot = out[std::stoull(std::string(rec.fields[0]))];
    slot.first = std::string(rec.fields[2]);
    ++slot.second;
  }
  return out;
}

// An import of `input` into campaign 1 of `s` with a journal, a sync cache and an outcome file
// in the test's directory (the spawned process has no HOME), then `extra`.
std::vector<std::string> import_args(live_sim& s, const std::string& input,
                                     const std::vector<std::string>& extra) {
  std::vector<std::string> args = {LEADPIPE_BINARY_DIR "/pipeline/cli/leadpipe", "import", input,
                                   "--campaign", "1", "--base-url", s.url(), "--ca-file",
                                   s.ca_file(), "--state-dir", s.file("state"), "--cache-dir", s.file("cache"), "--outcomes",
                                   s.file("outcomes.csv"), "--rate-limit", "none",
                                   "--no-progress"};
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

std::vector<std::string> with_resume(std::vector<std::string> args) {
  args.emplace_back("--resume");
  return args;
}

int exit_code_of(pid_t pid) {
  int status = 0;
  REQUIRE(waitpid(pid, &status, 0) == pid);
  REQUIRE(WIFEXITED(status));
  return WEXITSTATUS(status);
}

// An import of `emails` in batches of 20 that gives up on about half of them (unreadable answers
// until the retries run out): exit 1, a journal and an outcome file to resume. The faults are
// cleared afterwards. Returns the import's arguments.
std::vector<std::string> give_up_on_half(live_sim& s, const std::vector<std::string>& emails) {
  s.faults({"import:status=200:html:p=0.5"});
  std::vector<std::string> base =
      import_args(s, s.write("leads.csv", csv_of(emails)), {"--batch-size", "20"});
  CHECK(exit_code_of(spawn(base)) == 1);
  s.faults({});
  return base;
}

// Checks that the outcome file has one line for each of `rows` rows, each once; returns how
// many are added.
std::size_t added_once_each(const std::string& outcomes, std::size_t rows) {
  const auto by_line = outcomes_by_line(outcomes);
  CHECK(by_line.size() == rows);
  std::size_t added = 0;
  for (const auto& [line, v] : by_line) {
    CHECK_MESSAGE(v.second == 1, "line " << line << " appears " << v.second << " times");
    if (v.first == "added") ++added;
  }
  return added;
}

}  // namespace

TEST_CASE("SIGKILL at random moments, then --resume: every row once, every lead in once") {
  live_sim s(sim::default_config());
  s.faults({"import:latency=20ms..120ms", "import:drop-after-commit:p=0.05",
            "import:status=503:p=0.05"});
  std::vector<std::string> emails = addresses(3000);
  for (std::size_t i = 0; i < emails.size(); i += 97) emails[i] = "bad-address-" + std::to_string(i);
  const std::string input = s.write("leads.csv", csv_of(emails));
  const std::string bin = LEADPIPE_BINARY_DIR "/pipeline/cli/leadpipe";
  const std::vector<std::string> base = {
      bin, "import", input, "--campaign", "1", "--base-url", s.url(), "--ca-file", s.ca_file(),
      "--state-dir", s.file("state"), "--cache-dir", s.file("cache"), "--outcomes", s.file("outcomes.csv"), "--rejects",
      s.file("rejects.csv"), "--batch-size", "50", "--rate-limit", "none", "--concurrency", "3",
      "--no-progress"};
  std::mt19937 rng(12345);
  int kills = 0;
  int rc = -1;
  for (int round = 0; round < 40 && rc != 0; ++round) {
    std::vector<std::string> args = base;
    // A kill before the journal existed (during start-up or the sync) leaves nothing to resume:
    // the next run starts afresh, as a user would.
    bool journal = false;
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(s.file("state"), ec)) {
      journal = journal || e.path().extension() == ".journal";
    }
    if (round > 0 && journal) args.push_back("--resume");
    const pid_t pid = spawn(args);
    int status = 0;
    if (kills < 8) {
      std::this_thread::sleep_for(std::chrono::milliseconds(150 + rng() % 400));
      if (waitpid(pid, &status, WNOHANG) == 0) {
        ::kill(pid, SIGKILL);
        REQUIRE(waitpid(pid, &status, 0) == pid);
        ++kills;
        continue;
      }
    } else {
      REQUIRE(waitpid(pid, &status, 0) == pid);
    }
    rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    INFO("round " << round << " exit " << rc);
    REQUIRE((rc == 0 || rc == 1));
  }
  CHECK(kills >= 3);
  REQUIRE(rc == 0);
  const auto by_line = outcomes_by_line(s.file("outcomes.csv"));
  CHECK(by_line.size() == emails.size());
  std::size_t added = 0;
  std::size_t invalid = 0;
  for (const auto& [line, v] : by_line) {
    CHECK_MESSAGE(v.second == 1, "line " << line << " appears " << v.second << " times");
    if (v.first == "added") ++added;
    if (v.first == "invalid_email") ++invalid;
  }
  const std::size_t bad = (emails.size() + 96) / 97;
  CHECK(invalid == bad);
  CHECK(added == emails.size() - bad);
  CHECK(s.members(1).size() == emails.size() - bad);
  // The killed runs never wrote the cache; the resumes taught it their journaled batches from
  // the outcome file, so a new import of the same file sends nothing: every lead is known.
  s.faults({});
  std::vector<std::string> again = base;
  const auto at = std::find(again.begin(), again.end(), s.file("outcomes.csv"));
  REQUIRE(at != again.end());
  *at = s.file("outcomes2.csv");
  *std::find(again.begin(), again.end(), s.file("state")) = s.file("state2");
  again.insert(again.end(), {"--report", s.file("again.json")});
  CHECK(exit_code_of(spawn(again)) == 0);
  const std::string report = read_all(s.file("again.json"));
  CHECK(report.find("\"leads_sent\":0") != std::string::npos);
}

// A graceful stop (SIGTERM, Ctrl-C): the batches in flight still finish, after the journal's
// last checkpoint, so a resumed run must redo exactly the rows the kept part of the outcome
// file does not hold, even though the cache now lists those leads as campaign members. They end
// as added (confirmed), once each.
TEST_CASE("SIGTERM with batches in flight, then --resume: every row once, in-flight leads added") {
  live_sim s(sim::default_config());
  s.faults({"import:latency=300ms..600ms"});
  std::vector<std::string> emails = addresses(2000);
  for (std::size_t i = 0; i < emails.size(); i += 101) emails[i] = "bad" + std::to_string(i);
  const std::vector<std::string> base =
      import_args(s, s.write("leads.csv", csv_of(emails)),
                  {"--batch-size", "50", "--concurrency", "4"});
  const pid_t pid = spawn(base);
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  ::kill(pid, SIGTERM);
  CHECK(exit_code_of(pid) == 1);  // stopped by a signal: some leads not imported yet
  CHECK(exit_code_of(spawn(with_resume(base))) == 0);
  const std::size_t bad = (emails.size() + 100) / 101;
  CHECK(added_once_each(s.file("outcomes.csv"), emails.size()) == emails.size() - bad);
  CHECK(s.members(1).size() == emails.size() - bad);
}

// Leads the first run gave up on (unreadable answers until the retries ran out) are sent again
// by --resume, which confirms them, instead of being left not imported with exit 0. The kept
// outcome and rejects files lose their old lines for those rows: every row once in the end.
TEST_CASE("--resume sends again the leads the earlier run could not import") {
  live_sim s(sim::default_config());
  s.faults({"import:status=200:html:p=0.5"});
  std::vector<std::string> emails = addresses(600);
  emails[7] = "bad-address";
  const std::vector<std::string> base =
      import_args(s, s.write("leads.csv", csv_of(emails)),
                  {"--rejects", s.file("rejects.csv"), "--batch-size", "20", "--concurrency", "2"});
  CHECK(exit_code_of(spawn(base)) == 1);
  std::size_t gave_up = 0;
  for (const auto& [line, v] : outcomes_by_line(s.file("outcomes.csv"))) {
    if (v.first.starts_with("not_imported")) ++gave_up;
  }
  REQUIRE(gave_up > 0);
  s.faults({});
  CHECK(exit_code_of(spawn(with_resume(base))) == 0);
  CHECK(added_once_each(s.file("outcomes.csv"), emails.size()) == emails.size() - 1);
  CHECK(s.members(1).size() == emails.size() - 1);
  // The rejects file holds the one bad address and nothing of the first run's give-ups.
  const std::string rejects = read_all(s.file("rejects.csv"));
  CHECK(rejects.find("not_imported") == std::string::npos);
  CHECK(rejects.find("bad-address") != std::string::npos);
}

// A resume appends to the earlier run's outcome files (the journal's checkpoints are their
// lengths, and the rows it gave up on are redone in them): another path is refused, not left
// with "not imported" rows in the old file.
TEST_CASE("--resume with another --outcomes path is refused; with the same one it finishes") {
  live_sim s(sim::default_config());
  const std::vector<std::string> emails = addresses(300);
  const std::vector<std::string> base = give_up_on_half(s, emails);
  std::vector<std::string> elsewhere = with_resume(base);
  const auto at = std::find(elsewhere.begin(), elsewhere.end(), s.file("outcomes.csv"));
  REQUIRE(at != elsewhere.end());
  *at = s.file("outcomes2.csv");
  elsewhere.insert(elsewhere.end(), {"--report", s.file("report.json")});
  CHECK(exit_code_of(spawn(elsewhere)) == 3);
  const std::string report = read_all(s.file("report.json"));
  CHECK(report.find("resume with --outcomes") != std::string::npos);
  // Other flags: the message names them with both values.
  std::vector<std::string> other = with_resume(base);
  other.insert(other.end(), {"--drop", "role", "--fold-provider-aliases", "--report",
                             s.file("report3.json")});
  CHECK(exit_code_of(spawn(other)) == 3);
  const std::string report3 = read_all(s.file("report3.json"));
  CHECK(report3.find("--drop/--keep: placeholder,disposable then, role,placeholder,disposable now; "
                     "--fold-provider-aliases: false then, true now") != std::string::npos);
  // --map and --custom-field by value: another email column gives other rows other outcomes.
  std::vector<std::string> remapped = with_resume(base);
  remapped.insert(remapped.end(), {"--map", "email=email", "--map", "last_name=first_name",
                                   "--custom-field", "Tier, Inc", "--report",
                                   s.file("report4.json")});
  CHECK(exit_code_of(spawn(remapped)) == 3);
  const std::string report4 = read_all(s.file("report4.json"));
  CHECK(report4.find("--map: (none) then, 'email=email', 'last_name=first_name' now; "
                     "--custom-field: (none) then, 'Tier, Inc' now") != std::string::npos);
  // How the input is read, too: another --encoding gives other text (QA: the resumed part of a
  // job was sent garbled).
  std::vector<std::string> encoded = with_resume(base);
  encoded.insert(encoded.end(), {"--encoding", "windows-1252", "--report", s.file("report5.json")});
  CHECK(exit_code_of(spawn(encoded)) == 3);
  const std::string report5 = read_all(s.file("report5.json"));
  CHECK(report5.find("--encoding: (none) then, windows-1252 now") != std::string::npos);
  CHECK(exit_code_of(spawn(with_resume(base))) == 0);
  CHECK(added_once_each(s.file("outcomes.csv"), emails.size()) == emails.size());
  CHECK(s.members(1).size() == emails.size());
}

TEST_CASE("--resume of a run stopped before it imported (no journal) starts from the beginning") {
  live_sim s(sim::default_config());
  const std::vector<std::string> emails = addresses(50);
  const std::string input = s.write("leads.csv", csv_of(emails));
  std::vector<std::string> args =
      with_resume(import_args(s, input, {"--report", s.file("report.json")}));
  CHECK(exit_code_of(spawn(args)) == 0);
  const std::string report = read_all(s.file("report.json"));
  CHECK(report.find("so the interrupted run sent nothing") != std::string::npos);
  // With no first run to continue, it syncs as a fresh job does (QA: it used to skip the sync
  // and send the campaign's members and blocked leads only to have them skipped).
  CHECK(report.find(R"("fetched":[])") == std::string::npos);
  CHECK(report.find(R"("written":true)") != std::string::npos);
  // The policy's settings, as validate records them.
  CHECK(report.find(R"("drop":"placeholder,disposable")") != std::string::npos);
  CHECK(report.find(R"("fold_provider_aliases":"false")") != std::string::npos);
  CHECK(added_once_each(s.file("outcomes.csv"), emails.size()) == emails.size());
  std::string journal_of_first;
  for (const auto& e : std::filesystem::directory_iterator(s.file("state"))) {
    if (e.path().extension() == ".journal") journal_of_first = e.path().string();
  }
  // A run stopped part-way of a file that changed since: its journal is named, nothing is sent.
  s.faults({"import:latency=2s..3s"});
  const std::string other = s.write("other.csv", csv_of(addresses(80)));
  const pid_t pid = spawn(import_args(s, other, {"--batch-size", "10", "--concurrency", "1"}));
  // Killed once its journal exists (the sync before it may take a while on a loaded machine).
  const auto has_journal = [&] {
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(s.file("state"), ec)) {
      if (e.path().extension() == ".journal" && e.path().filename().string().find(
              "import-1-") == 0 && std::filesystem::file_size(e.path(), ec) > 0 &&
          e.path().string() != journal_of_first) {
        return true;
      }
    }
    return false;
  };
  for (int i = 0; i < 400 && !has_journal(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  ::kill(pid, SIGKILL);
  (void)waitpid(pid, nullptr, 0);
  s.faults({});
  s.write("other.csv", csv_of(addresses(81)));
  std::vector<std::string> again =
      with_resume(import_args(s, other, {"--report", s.file("report2.json")}));
  CHECK(exit_code_of(spawn(again)) == 3);
  const std::string report2 = read_all(s.file("report2.json"));
  CHECK(report2.find("changed since the interrupted run, whose journal is") != std::string::npos);
}

// Problems on this machine end the job before its first request, since the sync before the
// import can take hours: a second run of a job that is running, an output that cannot be
// created, the API key file named as an output (which would lose the key: exit 2).
TEST_CASE("a running job, an unwritable output, the key file as output: refused before a request") {
  live_sim s(sim::default_config());
  const std::vector<std::string> emails = addresses(200);
  const std::string input = s.write("leads.csv", csv_of(emails));
  // Run A is slowed down (every add-leads answer takes 2 s), so B starts while A runs.
  s.faults({"import:latency=2s..2s"});
  const pid_t a = spawn(import_args(s, input, {"--batch-size", "100"}));
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  const std::int64_t requests_before = s.state_int("requests");
  const int b = exit_code_of(spawn(import_args(s, input, {"--report", s.file("b.json")})));
  CHECK(b == 3);
  CHECK(read_all(s.file("b.json")).find("another import of this input") != std::string::npos);
  CHECK(s.state_int("requests") <= requests_before + 2);  // A's own requests may go on meanwhile
  CHECK(exit_code_of(a) == 0);
  s.faults({});

  const std::int64_t before = s.state_int("requests");
  const auto other = import_args(s, s.write("other.csv", csv_of(addresses(5))),
                                 {"--report", s.file("no/such/dir/r.json")});
  CHECK(exit_code_of(spawn(other)) == 3);
  CHECK(s.state_int("requests") == before);

  const std::string key = s.write("key.txt", "sim-key\n");
  auto over_key =
      import_args(s, s.write("third.csv", csv_of(addresses(5))), {"--api-key-file", key});
  const auto at = std::find(over_key.begin(), over_key.end(), s.file("outcomes.csv"));
  REQUIRE(at != over_key.end());
  *at = key;
  CHECK(exit_code_of(spawn(over_key)) == 2);
  CHECK(read_all(key) == "sim-key\n");
  CHECK(s.state_int("requests") == before);

  // A refused key stops the job in its sync: the report still has the sync section and the
  // cache's path, as a finished import's does.
  const std::string wrong = s.write("wrong.txt", "not-the-key\n");
  const auto refused = import_args(s, s.write("fourth.csv", csv_of(addresses(5))),
                                   {"--api-key-file", wrong, "--report", s.file("refused.json")});
  CHECK(exit_code_of(spawn(refused)) == 3);
  const std::string report = read_all(s.file("refused.json"));
  CHECK(report.find("\"sync\":{") != std::string::npos);
  CHECK(report.find("\"cache\":\"") != std::string::npos);
  CHECK(report.find("\"network\":{") != std::string::npos);
}

// `leadpipe sync` stopped by a signal ends as an import stopped in its sync does: exit 1 (not
// the fatal 3), with a report saying why.
TEST_CASE("sync stopped by SIGTERM exits 1 with its report") {
  live_sim s(sim::default_config());
  s.faults({"list_leads:latency=3s..4s", "block_list:latency=3s..4s"});
  const pid_t pid =
      spawn({LEADPIPE_BINARY_DIR "/pipeline/cli/leadpipe", "sync", "--campaign", "1", "--base-url",
             s.url(), "--ca-file", s.ca_file(), "--cache-dir", s.file("cache"), "--rate-limit",
             "none", "--no-progress", "--report", s.file("sync.json")});
  std::this_thread::sleep_for(std::chrono::milliseconds(1000));
  ::kill(pid, SIGTERM);
  CHECK(exit_code_of(pid) == 1);
  const std::string report = read_all(s.file("sync.json"));
  CHECK(report.find(R"("exit_code":1)") != std::string::npos);
  CHECK(report.find("stopped by a signal") != std::string::npos);
}

// The outcome file holds the rows the earlier run settled: deleted (or cut short), a resume
// cannot account for them, and says so instead of finishing with rows missing.
TEST_CASE("--resume refuses when the earlier run's outcome file is gone") {
  live_sim s(sim::default_config());
  const std::vector<std::string> emails = addresses(300);
  const std::vector<std::string> base = give_up_on_half(s, emails);
  std::filesystem::remove(s.file("outcomes.csv"));
  std::vector<std::string> again = with_resume(base);
  again.insert(again.end(), {"--report", s.file("report.json")});
  CHECK(exit_code_of(spawn(again)) == 3);
  const std::string report = read_all(s.file("report.json"));
  CHECK(report.find("of the interrupted run is missing") != std::string::npos);
}
