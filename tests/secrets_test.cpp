// The API key never appears in logs, reports, outcome files, error messages or the command line.
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <fcntl.h>

#include "import_test_env.hpp"

using namespace leadpipe;
using namespace leadpipe::testing;

namespace {

constexpr const char* kKey = "SECRET-KEY-7f3a9c1e";

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Runs leadpipe with `args`, the key in the environment, stdout+stderr to `log`.
int run_cli(const std::vector<std::string>& args, const std::string& log) {
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  std::string env_key = std::string("SMARTLEAD_API_KEY=") + kKey;
  char* envp[] = {env_key.data(), const_cast<char*>("PATH=/usr/bin:/bin"), nullptr};
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&fa, 1, 2);
  pid_t pid = 0;
  REQUIRE(posix_spawn(&pid, argv[0], &fa, nullptr, argv.data(), envp) == 0);
  posix_spawn_file_actions_destroy(&fa);
  int status = 0;
  REQUIRE(waitpid(pid, &status, 0) == pid);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace

TEST_CASE("the API key appears in no output, on success and on every kind of failure") {
  std::string msg;
  auto cfg = sim::load_fixture(
      std::string(R"({"accounts":[{"id":1,"api_keys":[")") + kKey +
          R"("],"lead_credit_remaining":5}],"campaigns":[{"id":1,"name":"c"}]})",
      "test", kKey, 0, &msg);
  REQUIRE_MESSAGE(cfg.has_value(), msg);
  live_sim s(std::move(*cfg));
  s.faults({"import:status=503:p=0.3", "import:drop-after-commit:p=0.2"});
  std::vector<std::string> emails = addresses(30);
  emails.push_back("broken-address");
  const std::string input = s.write("leads.csv", csv_of(emails));
  const std::string bin = LEADPIPE_BINARY_DIR "/pipeline/cli/leadpipe";
  std::vector<std::string> outputs;
  int n = 0;
  // Success with faults and lead credit running out; a wrong campaign; an untrusted server.
  for (const auto& extra : std::vector<std::vector<std::string>>{
           {"--campaign", "1", "--ca-file", s.ca_file()},
           {"--campaign", "77", "--ca-file", s.ca_file()},
           {"--campaign", "1"}}) {
    const std::string tag = std::to_string(n++);
    std::vector<std::string> args = {bin, "import", input, "--base-url", s.url(), "--batch-size",
                                     "4", "--rate-limit", "none", "--state-dir", s.file("st" + tag),
                                     "--outcomes", s.file("o" + tag), "--rejects", s.file("r" + tag),
                                     "--report", s.file("rep" + tag), "--progress",
                                     "--cache-dir", s.file("cache" + tag)};
    args.insert(args.end(), extra.begin(), extra.end());
    const int rc = run_cli(args, s.file("log" + tag));
    CHECK(rc != 2);
    CHECK(slurp(s.file("log" + tag)).find("leadpipe:") != std::string::npos);  // it did speak
    for (const char* f : {"o", "r", "rep", "log"}) outputs.push_back(s.file(f + tag));
  }
  for (const auto& entry : fs::recursive_directory_iterator(s.dir())) {
    const std::string path = entry.path().string();
    if (entry.is_regular_file() && (path.find("/st") != std::string::npos ||
                                    path.find("/cache") != std::string::npos)) {
      outputs.push_back(path);  // journals and sync caches
    }
  }
  // The successful run wrote a sync cache, so the loop above did read one.
  CHECK(fs::exists(s.file("cache0")));
  CHECK(!fs::is_empty(s.file("cache0")));
  for (const auto& f : outputs) {
    CAPTURE(f);
    CHECK(slurp(f).find(kKey) == std::string::npos);
  }
  // The key on the command line is refused before anything runs, and not echoed back.
  const int rc = run_cli({bin, "import", input, "--campaign", "1", "--base-url", s.url(),
                          "--api-key", kKey},
                         s.file("log-cmdline"));
  CHECK(rc == 2);
  const std::string log = slurp(s.file("log-cmdline"));
  CHECK(log.find("--api-key") != std::string::npos);
  CHECK(log.find(kKey) == std::string::npos);
}
