// `leadpipe leads export|set-status|activity`, the real binary against the simulator over TLS:
// CSV contents, exit codes, and memberships, categories and unsubscribes afterwards.
#include <csignal>
#include <set>
#include <thread>

#include "workflow_cli_env.hpp"

using namespace leadpipe;
using namespace leadpipe::testing;

namespace {

constexpr const char* kStatuses[] = {"STARTED", "INPROGRESS", "COMPLETED", "PAUSED", "STOPPED"};

// Even members are STARTED (125 of them: two pages even when filtered), odd ones cycle through
// the other four statuses.
std::string_view status_of(int i) { return kStatuses[i % 2 == 0 ? 0 : 1 + (i / 2) % 4]; }

// Campaign 1 with 250 members m0..m249: status by status_of(i), category 1 / 3 / 4 for i % 7 == 0 /
// 1 / 2, is_bounced seeded for i % 10 == 3, unsubscribed from the campaign for i % 11 == 4 and
// globally for i == 5. Campaign 2 holds other@acme.io.
std::string export_fixture() {
  std::string leads = R"({"campaigns":[{"id":1,"name":"big"},{"id":2,"name":"other"}],"leads":[)";
  std::string members = R"("memberships":[)";
  for (int i = 0; i < 250; ++i) {
    const std::string email = "m" + std::to_string(i) + "@acme.io";
    leads += std::string(i == 0 ? "" : ",") + R"({"email":")" + email + R"(","first_name":"N)" +
             std::to_string(i) + R"(","is_unsubscribed":)" + (i == 5 ? "true" : "false") +
             (i == 0 ? R"(,"custom_fields":{"role":"=CFO","tier":"A"})" : "") + "}";
    members += std::string(i == 0 ? "" : ",") + R"({"campaign_id":1,"email":")" + email +
               R"(","status":")" + std::string(status_of(i)) + R"(")";
    if (i % 7 < 3)
      members += R"(,"lead_category_id":)" + std::string(i % 7 == 0 ? "1" : i % 7 == 1 ? "3" : "4");
    if (i % 10 == 3) members += R"(,"email_statuses":["is_bounced","is_opened"])";
    if (i % 11 == 4) members += R"(,"unsubscribed":true)";
    members += "}";
  }
  leads += R"(,{"email":"other@acme.io"}],)";
  members += R"(,{"campaign_id":2,"email":"other@acme.io"}]})";
  return leads + members;
}

std::vector<std::string> expected(const std::function<bool(int)>& pick) {
  std::vector<std::string> out;
  for (int i = 0; i < 250; ++i) {
    if (pick(i)) out.push_back("m" + std::to_string(i) + "@acme.io");
  }
  return out;
}

std::vector<std::string> exported(live_sim& s, const std::vector<std::string>& statuses) {
  std::vector<std::string> args = {"leads", "export", "--campaign", "1"};
  for (const auto& w : statuses) {
    args.push_back("--status");
    args.push_back(w);
  }
  const auto r = run_leadpipe(s, args);
  REQUIRE(r.rc == 0);
  return csv_column(r.out, "email");
}

std::vector<std::string> sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

}  // namespace

TEST_CASE("leads export: every member over three pages, all columns") {
  live_sim s(workflow_fixture(export_fixture()));
  const auto r = run_leadpipe(s, {"leads", "export", "--campaign", "1", "--out", s.file("all.csv"),
                                  "--report", s.file("rep.json")});
  CHECK(r.rc == 0);
  CHECK(r.out.empty());
  const auto rows = csv_rows(slurp(s.file("all.csv")));
  REQUIRE(rows.size() == 251);
  CHECK(rows[0] ==
        std::vector<std::string>{"campaign_lead_map_id", "lead_id", "email", "first_name",
                                 "last_name", "phone_number", "company_name", "website", "location",
                                 "linkedin_profile", "company_url", "status", "lead_category_id",
                                 "is_unsubscribed", "created_at", "custom_fields"});
  CHECK(rows[1][2] == "m0@acme.io");
  CHECK(rows[1][3] == "N0");
  CHECK(rows[1][11] == "STARTED");
  CHECK(rows[2][11] == "INPROGRESS");
  CHECK(rows[1][12] == "1");
  CHECK(rows[1][14] == "2026-01-05T09:30:00.000Z");
  CHECK(rows[1][15] == R"({"role":"=CFO","tier":"A"})");  // JSON text: not a formula
  CHECK(rows[6][2] == "m5@acme.io");
  CHECK(rows[6][13] == "true");
  CHECK(rows[4][12] == "");  // m3: no category
  std::set<std::string> map_ids;
  for (std::size_t i = 1; i < rows.size(); ++i) map_ids.insert(rows[i][0]);
  CHECK(map_ids.size() == 250);
  CHECK(csv_column(slurp(s.file("all.csv")), "email") == expected([](int) { return true; }));
  CHECK(route_count(s, "list_leads", "200") == 3);  // 100 + 100 + 50
  CHECK(slurp(s.file("rep.json"))
            .find(R"("leads_export":{"campaign_id":1,"filters":[],"rows":250,"pages":3})") !=
        std::string::npos);
}

TEST_CASE("an export imported into another campaign keeps its custom fields, not its bookkeeping") {
  live_sim s(workflow_fixture(export_fixture()));
  const std::string file = s.file("export.csv");
  REQUIRE(run_leadpipe(s, {"leads", "export", "--campaign", "1", "--out", file}).rc == 0);
  const auto r = run_leadpipe(
      s, {"import", file, "--campaign", "2", "--cache-dir", s.file("cache"), "--cross-campaign",
          "allow", "--no-journal", "--report", s.file("rep.json")});
  CHECK(r.rc == 0);
  CHECK(r.err.find("this is a campaign's lead export: 'campaign_lead_map_id', 'lead_id', "
                   "'status', 'lead_category_id', 'is_unsubscribed', 'created_at'") !=
        std::string::npos);
  const std::string rep = slurp(s.file("rep.json"));
  CHECK(rep.find(R"("custom_fields":["custom_fields"])") != std::string::npos);
  CHECK(rep.find(R"("added":249)") != std::string::npos);  // m5 unsubscribed globally
  const auto again = run_leadpipe(s, {"leads", "export", "--campaign", "2"});
  REQUIRE(again.rc == 0);
  const auto rows = csv_rows(again.out);
  bool found = false;
  for (const auto& row : rows) {
    if (row.size() < 16 || row[2] != "m0@acme.io") continue;
    found = true;
    CHECK(row[3] == "N0");
    CHECK(row[15] == R"({"role":"=CFO","tier":"A"})");  // the members, not the text
  }
  CHECK(found);
  for (const auto& row : rows) {
    if (row.size() >= 16 && row[2] == "m1@acme.io") CHECK((row[15] == "" || row[15] == "{}"));
  }
}

TEST_CASE("leads export: the guide's words, the API's words and emailStatus values") {
  live_sim s(workflow_fixture(export_fixture()));
  const auto status_is = [](int k) { return [k](int i) { return status_of(i) == kStatuses[k]; }; };
  CHECK(exported(s, {"NOT_CONTACTED"}) == expected(status_is(0)));
  CHECK(exported(s, {"started"}) == expected(status_is(0)));
  CHECK(exported(s, {"IN_PROGRESS"}) == expected(status_is(1)));
  CHECK(exported(s, {"INPROGRESS"}) == expected(status_is(1)));
  CHECK(exported(s, {"completed"}) == expected(status_is(2)));
  CHECK(exported(s, {"PAUSED"}) == expected(status_is(3)));
  CHECK(exported(s, {"STOPPED"}) == expected(status_is(4)));
  CHECK(exported(s, {"INTERESTED"}) == expected([](int i) { return i % 7 == 0; }));
  CHECK(exported(s, {"not_interested"}) == expected([](int i) { return i % 7 == 1; }));
  CHECK(exported(s, {"DO_NOT_CONTACT"}) == expected([](int i) { return i % 7 == 2; }));
  CHECK(exported(s, {"BOUNCED"}) == expected([](int i) { return i % 10 == 3; }));
  CHECK(exported(s, {"is_opened"}) == expected([](int i) { return i % 10 == 3; }));
  CHECK(exported(s, {"UNSUBSCRIBED"}) == expected([](int i) { return i % 11 == 4 || i == 5; }));
  CHECK(exported(s, {"is_unsubscribed"}) == expected([](int i) { return i % 11 == 4 || i == 5; }));
}

TEST_CASE("leads export: several words are a union, each lead once; unknown words exit 2") {
  live_sim s(workflow_fixture(export_fixture()));
  const auto got = exported(s, {"INTERESTED", "IN_PROGRESS", "NOT_CONTACTED", "STARTED"});
  CHECK(std::set<std::string>(got.begin(), got.end()).size() == got.size());
  CHECK(sorted(got) == sorted(expected([](int i) {
          return i % 7 == 0 || status_of(i) == "INPROGRESS" || status_of(i) == "STARTED";
        })));
  // One page each for INTERESTED and IN_PROGRESS, two for NOT_CONTACTED's 125 leads; STARTED
  // repeats NOT_CONTACTED's filter and is not listed again.
  CHECK(route_count(s, "list_leads", "200") == 1 + 1 + 2);
  const auto bad = run_leadpipe(s, {"leads", "export", "--campaign", "1", "--status", "OPENED"});
  CHECK(bad.rc == 2);
  CHECK(bad.err.find("unknown status word 'OPENED'") != std::string::npos);
  CHECK(bad.err.find("NOT_CONTACTED") != std::string::npos);
  CHECK(run_leadpipe(s, {"leads", "export", "--campaign", "77"}).rc == 3);  // no such campaign
}

TEST_CASE("leads set-status: every word, checked against the simulator's state") {
  live_sim s(workflow_fixture(R"({
    "campaigns": [{"id": 1, "name": "c"}, {"id": 2, "name": "other"}],
    "leads": [{"email": "pause@acme.io"}, {"email": "resume@acme.io"}, {"email": "resume2@acme.io"},
              {"email": "yes@acme.io"}, {"email": "no@acme.io"}, {"email": "dnc@acme.io"},
              {"email": "unsub@acme.io"}, {"email": "stop@acme.io"}, {"email": "same@acme.io"},
              {"email": "other@acme.io"}],
    "memberships": [
      {"campaign_id": 1, "email": "pause@acme.io", "status": "INPROGRESS"},
      {"campaign_id": 1, "email": "resume@acme.io", "status": "PAUSED"},
      {"campaign_id": 1, "email": "resume2@acme.io", "status": "PAUSED"},
      {"campaign_id": 1, "email": "yes@acme.io", "status": "INPROGRESS"},
      {"campaign_id": 1, "email": "no@acme.io", "status": "INPROGRESS"},
      {"campaign_id": 1, "email": "dnc@acme.io", "status": "INPROGRESS"},
      {"campaign_id": 1, "email": "unsub@acme.io", "status": "INPROGRESS"},
      {"campaign_id": 1, "email": "stop@acme.io", "status": "INPROGRESS"},
      {"campaign_id": 1, "email": "same@acme.io", "status": "STARTED"},
      {"campaign_id": 2, "email": "other@acme.io", "status": "STARTED"}
    ]})"));
  const std::string input = s.write("status.csv",
                                    "email,status\n"
                                    "Pause@Acme.io,PAUSED\n"
                                    "resume@acme.io,IN_PROGRESS\n"
                                    "resume2@acme.io,inprogress\n"
                                    "yes@acme.io,Interested\n"
                                    "no@acme.io,NOT_INTERESTED\n"
                                    "dnc@acme.io,DO_NOT_CONTACT\n"
                                    "unsub@acme.io,UNSUBSCRIBED\n"
                                    "stop@acme.io,STOPPED\n"
                                    "same@acme.io,NOT_CONTACTED\n"
                                    "same@acme.io,COMPLETED\n"
                                    "same@acme.io,BOUNCED\n"
                                    "same@acme.io,STARTED\n"
                                    "same@acme.io,OPENED\n"
                                    "same@acme.io,\n"
                                    "not an address,PAUSED\n"
                                    "nobody@acme.io,PAUSED\n"
                                    "other@acme.io,PAUSED\n");
  const auto r = run_leadpipe(s, {"leads", "set-status", "--campaign", "1", input, "--outcomes",
                                  s.file("out.csv"), "--report", s.file("rep.json")});
  CHECK(r.rc == 1);
  const std::string out = slurp(s.file("out.csv"));
  CHECK(csv_column(out, "outcome") ==
        std::vector<std::string>{"updated", "updated", "updated", "updated", "updated", "updated",
                                 "updated", "updated", "not_settable", "not_settable",
                                 "not_settable", "not_settable", "unknown_status", "unknown_status",
                                 "invalid_email", "not_found", "not_in_campaign"});
  CHECK(csv_column(out, "line")[16] == "18");
  CHECK(csv_column(out, "detail")[0] == "paused");
  CHECK(csv_column(out, "detail")[5] == "category 4, paused");
  const auto m = member_states(s, 1);
  CHECK(m.at("pause@acme.io").status == "PAUSED");
  CHECK(m.at("resume@acme.io").status == "INPROGRESS");
  CHECK(m.at("resume2@acme.io").status == "INPROGRESS");
  CHECK(m.at("yes@acme.io").category == 1);
  CHECK(m.at("yes@acme.io").status == "INPROGRESS");
  CHECK(m.at("no@acme.io").category == 3);
  CHECK(m.at("dnc@acme.io").category == 4);
  CHECK(m.at("dnc@acme.io").status == "PAUSED");
  CHECK(m.at("unsub@acme.io").status == "INPROGRESS");  // global: the membership is untouched
  CHECK_FALSE(m.at("unsub@acme.io").unsubscribed);
  CHECK(state_list(s, "unsubscribed") == std::vector<std::string>{"unsub@acme.io"});
  CHECK(m.at("stop@acme.io").status == "STOPPED");
  CHECK(m.at("stop@acme.io").unsubscribed);
  CHECK(m.at("same@acme.io").status == "STARTED");
  CHECK_FALSE(m.at("same@acme.io").category.has_value());
  CHECK(member_states(s, 2).at("other@acme.io").status == "STARTED");
  // Rows refused locally make no request: lookups only for the ten rows that reached one.
  CHECK(route_count(s, "lead_lookup", "200") == 10);
  const std::string rep = slurp(s.file("rep.json"));
  CHECK(rep.find(R"("command":"leads set-status")") != std::string::npos);
  CHECK(rep.find(R"("leads_set_status":{"campaign_id":1,"rows":17,"updated":8,"invalid_email":1,)"
                 R"("unknown_status":2,"not_settable":4,"not_found":1,"not_in_campaign":1,)"
                 R"("failed":0})") != std::string::npos);
  CHECK(r.err.find("status.csv:17: nobody@acme.io: not_found") != std::string::npos);
}

TEST_CASE(
    "leads set-status: header-less rows from standard input, all updated; a refused call fails its "
    "row") {
  live_sim s(workflow_fixture(R"({"campaigns":[{"id":1,"name":"c"}],
    "leads":[{"email":"a@acme.io"},{"email":"b@acme.io"}],
    "memberships":[{"campaign_id":1,"email":"a@acme.io"},
                   {"campaign_id":1,"email":"b@acme.io"}]})"));
  const auto ok = run_leadpipe(s, {"leads", "set-status", "--campaign", "1", "-"},
                               s.write("in.csv", "a@acme.io,PAUSED\nb@acme.io,INTERESTED\n"));
  CHECK(ok.rc == 0);
  CHECK(member_states(s, 1).at("a@acme.io").status == "PAUSED");
  CHECK(member_states(s, 1).at("b@acme.io").category == 1);
  // Two columns for the address: the first is read, and the run says so.
  const auto two = run_leadpipe(s, {"leads", "set-status", "--campaign", "1", "-"},
                                s.write("two.csv",
                                        "email,status,email_address\n"
                                        "a@acme.io,STOPPED,b@acme.io\n"));
  CHECK(two.rc == 0);
  CHECK(two.err.find("columns 1 'email' and 3 'email_address' both name the email column: "
                     "column 1 is read") != std::string::npos);
  CHECK(member_states(s, 1).at("a@acme.io").status == "STOPPED");
  s.faults({"lead_category:status=400"});
  const auto failed =
      run_leadpipe(s, {"leads", "set-status", "--campaign", "1", "-", "--outcomes", "-"},
                   s.write("in2.csv", "a@acme.io,STOPPED\nb@acme.io,DO_NOT_CONTACT\n"));
  CHECK(failed.rc == 1);
  CHECK(csv_column(failed.out, "outcome") == std::vector<std::string>{"updated", "failed"});
  CHECK(csv_column(failed.out, "detail")[1].starts_with("the server answered 400: "));
  CHECK(member_states(s, 1).at("b@acme.io").category == 1);
}

// A wrong campaign id: one look at the campaign, exit 3, no request per row.
TEST_CASE("leads set-status: a campaign that does not exist stops the run before any row") {
  live_sim s(workflow_fixture(R"({"campaigns":[{"id":1,"name":"c"}],
    "leads":[{"email":"a@acme.io"}],
    "memberships":[{"campaign_id":1,"email":"a@acme.io"}]})"));
  const auto r =
      run_leadpipe(s, {"leads", "set-status", "--campaign", "99", "-", "--outcomes", "-"},
                   s.write("in.csv", "a@acme.io,PAUSED\nb@acme.io,FOO\nnot-an-address,PAUSED\n"));
  CHECK(r.rc == 3);
  // Rows the local checks settle keep their own outcome; the others were not attempted.
  CHECK(csv_column(r.out, "outcome") ==
        std::vector<std::string>{"failed", "unknown_status", "invalid_email"});
  CHECK(csv_column(r.out, "detail")[0].starts_with("not attempted: "));
  CHECK(r.err.find("campaign 99 not found (404)") != std::string::npos);
  CHECK(s.state_int("requests") == 1);
  CHECK(member_states(s, 1).at("a@acme.io").status != "PAUSED");
}

// Ctrl-C is the operator's choice, as for an import: exit 1, not 3 ("the API failed").
TEST_CASE("leads set-status: a signal stops it with exit 1; every row still has its outcome") {
  live_sim s(workflow_fixture(R"({"campaigns":[{"id":1,"name":"c"}],
    "leads":[{"email":"a@acme.io"}],
    "memberships":[{"campaign_id":1,"email":"a@acme.io"}]})"));
  s.faults({"lead_lookup:latency=400ms"});
  std::string rows;
  for (int i = 0; i < 20; ++i) rows += "a@acme.io,PAUSED\n";
  rows += "b@acme.io,FOO\n";
  const std::string input = s.write("in.csv", rows);
  const std::string out = s.file("o.csv");
  std::vector<std::string> all = {LEADPIPE_BINARY_DIR "/pipeline/cli/leadpipe",
                                  "leads",
                                  "set-status",
                                  "--campaign",
                                  "1",
                                  input,
                                  "--outcomes",
                                  out,
                                  "--base-url",
                                  s.url(),
                                  "--ca-file",
                                  s.ca_file(),
                                  "--rate-limit",
                                  "none"};
  std::vector<char*> argv;
  for (auto& a : all) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::string key = "SMARTLEAD_API_KEY=sim-key";
  char* envp[] = {key.data(), nullptr};
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  const std::string err = s.file("signal.err");
  posix_spawn_file_actions_addopen(&fa, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  pid_t pid = 0;
  REQUIRE(posix_spawn(&pid, argv[0], &fa, nullptr, argv.data(), envp) == 0);
  posix_spawn_file_actions_destroy(&fa);
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  ::kill(pid, SIGINT);
  int status = 0;
  REQUIRE(waitpid(pid, &status, 0) == pid);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 1);
  const auto outcomes = csv_column(slurp(out), "outcome");
  REQUIRE(outcomes.size() == 21);
  CHECK(outcomes.front() == "updated");
  CHECK(outcomes[19] == "failed");
  CHECK(outcomes.back() == "unknown_status");
  CHECK(slurp(err).find("stopped by a signal") != std::string::npos);
}

// A dry run sends no sync; when the cache is stale it says what the real run's sync will cost,
// from the sizes the server listed last time (250 members: a count and 3 pages of 100).
TEST_CASE("import --dry-run counts the sync a stale cache will need") {
  live_sim s(workflow_fixture(export_fixture()));
  const std::string cache = s.file("cache");
  REQUIRE(run_leadpipe(s, {"sync", "--campaign", "1", "--cache-dir", cache}).rc == 0);
  const std::uint64_t before = static_cast<std::uint64_t>(s.state_int("requests"));
  const std::string input = s.write("in.csv", "email\nnew@acme.io\n");
  const auto fresh = run_leadpipe(
      s, {"import", input, "--campaign", "1", "--cache-dir", cache, "--dry-run", "--no-journal"});
  CHECK(fresh.rc == 0);
  CHECK(fresh.err.find("syncs it") == std::string::npos);
  const auto stale =
      run_leadpipe(s, {"import", input, "--campaign", "1", "--cache-dir", cache, "--dry-run",
                       "--no-journal", "--max-age", "0", "--report", s.file("r.json")});
  CHECK(stale.rc == 0);
  // At most: the member count check may make the pages unneeded.
  CHECK(stale.err.find("so a real run first syncs it: at most ") != std::string::npos);
  CHECK(slurp(s.file("r.json")).find(R"("estimate_is_upper_bound":true)") != std::string::npos);
  CHECK(slurp(s.file("r.json")).find(R"("would_fetch":["block_list","members")") !=
        std::string::npos);
  CHECK(static_cast<std::uint64_t>(s.state_int("requests")) == before);  // dry: nothing sent
}

TEST_CASE("leads activity: seeded history, empty history, unknown lead, not in the campaign") {
  live_sim s(workflow_fixture(R"({
    "campaigns": [{"id": 1, "name": "c"}, {"id": 2, "name": "other"}],
    "leads": [{"email": "bo@acme.io"}, {"email": "quiet@acme.io"}],
    "memberships": [
      {"campaign_id": 1, "email": "bo@acme.io", "history": [
        {"stats_id": "s1", "from": "me@sender.io", "to": "bo@acme.io", "type": "SENT",
         "message_id": "<m1>", "time": "2026-01-03T10:00:00.000Z", "subject": "Hello Bo",
         "email_body": "<p>Hi Bo,</p><p>Shall we talk?&nbsp;Best, Me</p>",
         "email_seq_number": "1", "attachments": []},
        {"stats_id": "s2", "from": "bo@acme.io", "to": "me@sender.io", "type": "REPLY",
         "time": "2026-01-04T08:00:00.000Z", "subject": "Re: Hello Bo",
         "email_body": "Not now, thanks.\nBo"}]},
      {"campaign_id": 2, "email": "quiet@acme.io"}
    ]})"));
  const auto r = run_leadpipe(s, {"leads", "activity", "--campaign", "1", "--email", "BO@acme.io"});
  CHECK(r.rc == 0);
  CHECK(r.out ==
        "bo@acme.io (lead 3000000001) in campaign 1: 2 messages\n\n"
        "[1] 2026-01-03T10:00:00.000Z SENT (step 1)\n"
        "    from: me@sender.io -> to: bo@acme.io\n"
        "    subject: Hello Bo\n"
        "    | Hi Bo,\n"
        "    |\n"
        "    | Shall we talk? Best, Me\n\n"
        "[2] 2026-01-04T08:00:00.000Z REPLY\n"
        "    from: bo@acme.io -> to: me@sender.io\n"
        "    subject: Re: Hello Bo\n"
        "    | Not now, thanks.\n"
        "    | Bo\n\n");
  const auto cut = run_leadpipe(
      s, {"leads", "activity", "--campaign", "1", "--email", "bo@acme.io", "--max-body", "10"});
  CHECK(cut.out.find("    | Hi Bo,\n    |\n    | Sh [...]\n") != std::string::npos);

  const auto json =
      run_leadpipe(s, {"leads", "activity", "--campaign", "1", "--email", "bo@acme.io", "--json"});
  CHECK(json.rc == 0);
  simdjson::dom::parser p;
  CHECK(p.parse(json.out)["history"].get_array().size() == 2);

  const auto empty =
      run_leadpipe(s, {"leads", "activity", "--campaign", "2", "--email", "quiet@acme.io"});
  CHECK(empty.rc == 0);
  CHECK(empty.out == "quiet@acme.io (lead 3000000002) in campaign 2: no messages\n\n");

  const auto unknown =
      run_leadpipe(s, {"leads", "activity", "--campaign", "1", "--email", "nobody@acme.io"});
  CHECK(unknown.rc == 1);
  CHECK(unknown.out.empty());
  CHECK(unknown.err.find("nobody@acme.io: no lead with this address") != std::string::npos);

  const auto elsewhere =
      run_leadpipe(s, {"leads", "activity", "--campaign", "1", "--email", "quiet@acme.io"});
  CHECK(elsewhere.rc == 1);
  CHECK(elsewhere.err.find("is not in campaign 1 (it is in 2)") != std::string::npos);

  const auto bad = run_leadpipe(s, {"leads", "activity", "--campaign", "1", "--email", "bo@"});
  CHECK(bad.rc == 2);
  CHECK(route_count(s, "message_history", "200") == 4);
}
