#pragma once
// Test-only: runs the real `leadpipe` binary against a live_sim (the key in the environment,
// standard input from a file, standard output and error captured), reads CSV outputs with the
// project's reader, and reads members and block entries from the simulator's state.

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>

#include <iterator>
#include <map>
#include <optional>

#include "import_test_env.hpp"
#include "leadpipe/csv.hpp"

namespace leadpipe::testing {

struct cli_result {
  int rc = -1;
  std::string out;  ///< standard output
  std::string err;  ///< standard error
};

inline std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

inline sim::sim_config workflow_fixture(const std::string& json) {
  std::string msg;
  auto cfg = sim::load_fixture(json, "test", "sim-key", 1'767'605'400'000, &msg);
  REQUIRE_MESSAGE(cfg.has_value(), msg);
  return std::move(*cfg);
}

/// Runs `leadpipe ARGS... --base-url URL --ca-file CA --rate-limit none` with
/// SMARTLEAD_API_KEY=`key` and standard input from `stdin_path`.
inline cli_result run_leadpipe(const live_sim& s, const std::vector<std::string>& args,
                               const std::string& stdin_path = "/dev/null",
                               const std::string& key = "sim-key") {
  static int n = 0;
  const std::string tag = std::to_string(n++);
  const std::string out_path = s.file("stdout" + tag);
  const std::string err_path = s.file("stderr" + tag);
  std::vector<std::string> all = {LEADPIPE_BINARY_DIR "/pipeline/cli/leadpipe"};
  all.insert(all.end(), args.begin(), args.end());
  for (const std::string& a : {std::string("--base-url"), s.url(), std::string("--ca-file"),
                               s.ca_file(), std::string("--rate-limit"), std::string("none")}) {
    all.push_back(a);
  }
  std::vector<char*> argv;
  for (auto& a : all) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::string env_key = "SMARTLEAD_API_KEY=" + key;
  std::string env_path = "PATH=/usr/bin:/bin";
  char* envp[] = {env_key.data(), env_path.data(), nullptr};
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, stdin_path.c_str(), O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 1, out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&fa, 2, err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  pid_t pid = 0;
  REQUIRE(posix_spawn(&pid, argv[0], &fa, nullptr, argv.data(), envp) == 0);
  posix_spawn_file_actions_destroy(&fa);
  int status = 0;
  REQUIRE(waitpid(pid, &status, 0) == pid);
  cli_result r;
  r.rc = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = slurp(out_path);
  r.err = slurp(err_path);
  return r;
}

/// The rows of a CSV text (header first), read with csv_reader.
inline std::vector<std::vector<std::string>> csv_rows(const std::string& text) {
  std::vector<std::vector<std::string>> rows;
  auto reader = csv_reader::open(byte_source::from_memory(text, "output"), csv_options{','});
  if (!reader) return rows;
  rows.push_back(reader->header());
  csv_record rec;
  while (reader->next(rec)) {
    REQUIRE(rec.error == csv_error::none);
    rows.emplace_back(rec.fields.begin(), rec.fields.end());
  }
  return rows;
}

/// One column of a CSV text's data rows, by header name.
inline std::vector<std::string> csv_column(const std::string& text, std::string_view name) {
  const auto rows = csv_rows(text);
  REQUIRE(!rows.empty());
  const auto it = std::find(rows[0].begin(), rows[0].end(), name);
  REQUIRE(it != rows[0].end());
  const auto col = static_cast<std::size_t>(it - rows[0].begin());
  std::vector<std::string> out;
  for (std::size_t i = 1; i < rows.size(); ++i) out.push_back(rows[i].at(col));
  return out;
}

/// A membership as the simulator's state shows it.
struct member_state {
  std::string status;
  std::optional<std::int64_t> category;
  bool unsubscribed = false;
};

/// Members of `campaign` by lower-case email.
inline std::map<std::string, member_state> member_states(live_sim& s, std::int64_t campaign) {
  const std::string json = s.sim().state_json(true);
  simdjson::dom::parser p;
  std::map<std::string, member_state> out;
  for (simdjson::dom::element c : p.parse(json)["campaigns"].get_array()) {
    if (int64_t(c["id"]) != campaign) continue;
    for (simdjson::dom::element m : c["members"].get_array()) {
      member_state ms;
      ms.status = std::string(std::string_view(m["status"]));
      if (!m["lead_category_id"].is_null()) ms.category = int64_t(m["lead_category_id"]);
      ms.unsubscribed = bool(m["unsubscribed"]);
      out[std::string(std::string_view(m["email"]))] = ms;
    }
  }
  return out;
}

/// Values of the state's list `key` ("block_list": "email_or_domain|client"; "unsubscribed":
/// the email).
inline std::vector<std::string> state_list(live_sim& s, std::string_view key) {
  const std::string json = s.sim().state_json(false);
  simdjson::dom::parser p;
  std::vector<std::string> out;
  for (simdjson::dom::element e : p.parse(json)[key].get_array()) {
    if (key == "block_list") {
      const auto client = e["client_id"];
      out.push_back(std::string(std::string_view(e["email_or_domain"])) + "|" +
                    (client.is_null() ? std::string("null") : std::to_string(int64_t(client))));
    } else {
      out.push_back(std::string(std::string_view(e["email"])));
    }
  }
  return out;
}

/// Requests of `route` the simulator answered with `status` (0 when none).
inline std::int64_t route_count(live_sim& s, std::string_view route, std::string_view status) {
  const std::string json = s.sim().state_json(false);
  simdjson::dom::parser p;
  std::int64_t n = 0;
  if (p.parse(json)["counters"][route][status].get(n) != simdjson::SUCCESS) return 0;
  return n;
}

}  // namespace leadpipe::testing
