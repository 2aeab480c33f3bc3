// `leadpipe block add|list|remove`, the real binary against the simulator over TLS: outcomes
// and CSV outputs, exit codes, and the simulator's block list afterwards.
#include <algorithm>

#include "workflow_cli_env.hpp"

using namespace leadpipe;
using namespace leadpipe::testing;

namespace {

constexpr const char* kAccount = R"({"accounts":[{"id":1,"api_keys":["sim-key"],)"
                                 R"("clients":[{"id":11,"name":"Acme","email":"ops@acme.io"}]}],)"
                                 R"("campaigns":[{"id":1,"name":"c"}])";

sim::sim_config fixture(const std::string& more = "") {
  return workflow_fixture(std::string(kAccount) + more + "}");
}

std::vector<std::string> sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

}  // namespace

TEST_CASE("block add: addresses, domains, invalid entries and repeats, for a client") {
  live_sim s(fixture());
  const std::string input = s.write("entries.txt",
                                    "Rival.IO\n"
                                    "CEO@Acme.io\n"
                                    "# a comment\n"
                                    "\n"
                                    "@competitor.io\n"
                                    "bad entry\n"
                                    "x@y\n"
                                    "rival.io\n"
                                    "  ceo@acme.IO  \n"
                                    "bücher.de\n");
  const auto r = run_leadpipe(s, {"block", "add", input, "--client-id", "11", "--outcomes",
                                  s.file("out.csv"), "--report", s.file("rep.json")});
  CHECK(r.rc == 1);  // invalid entries were not added
  CHECK(slurp(s.file("out.csv")) ==
        "line,entry,outcome,reason,detail\n"
        "1,rival.io,added,,domain\n"
        "2,ceo@acme.io,added,,address\n"
        "5,competitor.io,added,,domain\n"
        "6,bad entry,invalid,invalid_domain,not a valid domain: the address contains white space\n"
        "7,x@y,invalid,invalid_address,not a valid address: the domain needs at least two labels "
        "(name.tld)\n"
        "8,rival.io,duplicate,duplicate_in_input,same entry as line 1\n"
        "9,ceo@acme.io,duplicate,duplicate_in_input,same entry as line 2\n"
        "10,xn--bcher-kva.de,added,,domain\n");
  CHECK(sorted(state_list(s, "block_list")) ==
        std::vector<std::string>{"ceo@acme.io|11", "competitor.io|11", "rival.io|11",
                                 "xn--bcher-kva.de|11"});
  CHECK(route_count(s, "block_add", "200") == 1);
  CHECK(r.err.find("entries.txt:6: 'bad entry': invalid") != std::string::npos);
  const std::string rep = slurp(s.file("rep.json"));
  CHECK(rep.find(R"("command":"block add")") != std::string::npos);
  CHECK(rep.find(R"("block_add":{"client_id":11,"entries":8,"added":4,"duplicate":2,"invalid":2,)"
                 R"("rejected_by_server":0,"not_sent":0,"requests":1,"splits":0})") !=
        std::string::npos);

  // Without a client, from standard input, all valid: exit 0 and entries of no client.
  const auto ok = run_leadpipe(s, {"block", "add", "-"}, s.write("more.txt", "rival.io\n"));
  CHECK(ok.rc == 0);
  CHECK(sorted(state_list(s, "block_list")) ==
        std::vector<std::string>{"ceo@acme.io|11", "competitor.io|11", "rival.io|11",
                                 "rival.io|null", "xn--bcher-kva.de|11"});
}

// A suppression export with an address and a domain column: both are entries (as for validate
// --block-list), and a row with neither filled still has its outcome line.
TEST_CASE("block add: every address and domain column counts; a row without one is named") {
  live_sim s(fixture());
  const auto r =
      run_leadpipe(s, {"block", "add",
                       s.write("supp.csv",
                               "Name,Email,Domain\nA,a@zz-three.io,zz-four.io\nB,,zz-five.io\n"
                               "C,,\n,,\n"),
                       "--outcomes", "-"});
  CHECK(r.rc == 1);  // the empty row was not added
  CHECK(r.out ==
        "line,entry,outcome,reason,detail\n"
        "2,a@zz-three.io,added,,address\n"
        "2,zz-four.io,added,,domain\n"
        "3,zz-five.io,added,,domain\n"
        "4,,invalid,empty_entry,no address or domain in this row\n");
  CHECK(sorted(state_list(s, "block_list")) ==
        std::vector<std::string>{"a@zz-three.io|null", "zz-five.io|null", "zz-four.io|null"});
}

TEST_CASE("block add: a client that is not the account's is fatal, every entry not sent") {
  live_sim s(fixture());
  const auto r = run_leadpipe(s, {"block", "add", s.write("e.txt", "a.io\nb.io\n"), "--client-id",
                                  "99", "--outcomes", "-"});
  CHECK(r.rc == 3);
  CHECK(csv_column(r.out, "outcome") == std::vector<std::string>{"not_sent", "not_sent"});
  CHECK(r.err.find("client_id must be null or a client of the account") != std::string::npos);
  CHECK(route_count(s, "block_add", "400") == 1);  // not bisected
  CHECK(state_list(s, "block_list").empty());
}

TEST_CASE("block add: more than 1,000 entries go in two requests") {
  live_sim s(fixture());
  std::string text = "email_or_domain,note\n";
  for (int i = 0; i < 1500; ++i) text += "d" + std::to_string(i) + ".io,x\n";
  const auto r = run_leadpipe(s, {"block", "add", s.write("big.csv", text), "--report", "-"});
  CHECK(r.rc == 0);
  CHECK(route_count(s, "block_add", "200") == 2);
  CHECK(state_list(s, "block_list").size() == 1500);
  CHECK(r.out.find(R"("added":1500)") != std::string::npos);
  CHECK(r.out.find(R"("requests":2)") != std::string::npos);
}

TEST_CASE("block add: a refused request is bisected to the entry the server refuses") {
  live_sim s(fixture());
  // The simulator refuses exactly what the local check refuses, so 400s are injected: the whole
  // request, its first half, that half's first half, and then the first entry alone.
  s.faults({"block_add:nth=1:status=400", "block_add:nth=2:status=400",
            "block_add:nth=3:status=400", "block_add:nth=4:status=400"});
  std::string text;
  for (int i = 0; i < 8; ++i) text += "d" + std::to_string(i) + ".io\n";
  const auto r = run_leadpipe(s, {"block", "add", s.write("e.txt", text), "--outcomes", "-"});
  CHECK(r.rc == 1);
  const auto outcome = csv_column(r.out, "outcome");
  CHECK(outcome == std::vector<std::string>{"rejected_by_server", "added", "added", "added",
                                            "added", "added", "added", "added"});
  CHECK(csv_column(r.out, "reason")[0] == "server_refused");
  CHECK(csv_column(r.out, "detail")[0].starts_with("400: "));
  CHECK(route_count(s, "block_add", "400") == 4);
  CHECK(route_count(s, "block_add", "200") == 3);  // [1], [2,3], [4..7]
  CHECK(state_list(s, "block_list").size() == 7);
}

TEST_CASE("block list: pages of 1,000 to the last short page, by client and by text") {
  std::string entries = R"(,"block_list":[)";
  for (int i = 0; i < 2100; ++i) {
    entries += (i == 0 ? "" : ",") + std::string(R"({"email_or_domain":"n)") + std::to_string(i) +
               R"(.io"})";
  }
  for (int i = 0; i < 1001; ++i) {
    entries += R"(,{"email_or_domain":"c)" + std::to_string(i) + R"(.io","client_id":11})";
  }
  entries += "]";
  live_sim s(fixture(entries));
  const auto client =
      run_leadpipe(s, {"block", "list", "--client-id", "11", "--report", s.file("rep.json")});
  CHECK(client.rc == 0);
  const auto rows = csv_rows(client.out);
  REQUIRE(rows.size() == 1002);
  CHECK(rows[0] ==
        std::vector<std::string>{"id", "email_or_domain", "client_id", "source", "created_at"});
  CHECK(rows[1][1] == "c1000.io");  // newest first
  CHECK(rows[1001][1] == "c0.io");
  for (std::size_t i = 1; i < rows.size(); ++i) CHECK(rows[i][2] == "11");
  CHECK(route_count(s, "block_list", "200") == 2);  // 1000 + a short page of 1
  CHECK(
      slurp(s.file("rep.json")).find(R"("block_list":{"client_id":11,"entries":1001,"pages":2})") !=
      std::string::npos);

  const auto all = run_leadpipe(s, {"block", "list", "--out", s.file("all.csv")});
  CHECK(all.rc == 0);
  CHECK(all.out.empty());
  CHECK(csv_rows(slurp(s.file("all.csv"))).size() == 3102);
  CHECK(route_count(s, "block_list", "200") == 2 + 4);

  const auto some = run_leadpipe(s, {"block", "list", "--filter", "N209"});
  CHECK(sorted(csv_column(some.out, "email_or_domain")) ==
        std::vector<std::string>{"n209.io", "n2090.io", "n2091.io", "n2092.io", "n2093.io",
                                 "n2094.io", "n2095.io", "n2096.io", "n2097.io", "n2098.io",
                                 "n2099.io"});
}

TEST_CASE("block remove: removed, unknown id, a resent delete, a refused key") {
  live_sim s(
      fixture(R"(,"block_list":[{"id":501,"email_or_domain":"a.io"},)"
              R"({"id":502,"email_or_domain":"b.io"},{"id":503,"email_or_domain":"c.io"}])"));
  const auto r = run_leadpipe(s, {"block", "remove", "501", "999"});
  CHECK(r.rc == 1);
  CHECK(r.out ==
        "id,outcome,detail\n501,removed,\n999,not_found,no block-list entry with this id\n");
  CHECK(sorted(state_list(s, "block_list")) == std::vector<std::string>{"b.io|null", "c.io|null"});

  // The first DELETE is applied but its answer lost; the resent one finds nothing: removed.
  std::uint64_t seed = 1;
  for (;; ++seed) {
    std::string msg;
    sim::fault_injector f({*sim::parse_fault("block_delete:drop-after-commit:p=0.5", &msg)}, seed);
    const auto first = f.decide(sim::route_id::block_delete);
    const auto second = f.decide(sim::route_id::block_delete);
    if (first.action == sim::fault_action::drop_after_commit &&
        second.action == sim::fault_action::none) {
      break;
    }
  }
  s.faults({"block_delete:drop-after-commit:p=0.5"}, seed);
  const auto resent = run_leadpipe(s, {"block", "remove", "502", "--outcomes", s.file("o.csv")});
  CHECK(resent.rc == 0);
  CHECK(slurp(s.file("o.csv")) ==
        "id,outcome,detail\n502,removed,the first copy of a resent request removed it\n");
  CHECK(route_count(s, "block_delete", "404") == 2);  // 999 earlier, the resent copy now

  // A 503 is an answer (nothing was applied): the copy's 404 means there was nothing to remove.
  s.faults({"block_delete:nth=1:status=503"});
  const auto typo = run_leadpipe(s, {"block", "remove", "12345"});
  CHECK(typo.rc == 1);
  CHECK(typo.out == "id,outcome,detail\n12345,not_found,no block-list entry with this id\n");

  s.faults({});
  const auto refused = run_leadpipe(s, {"block", "remove", "503"}, "/dev/null", "wrong-key");
  CHECK(refused.rc == 3);
  CHECK(refused.out ==
        "id,outcome,detail\n503,failed,/leads/delete-domain-block-list?id=503: the "
        "api key was refused (401): Invalid API Key\n");
  CHECK(refused.err.find("wrong-key") == std::string::npos);
  CHECK(state_list(s, "block_list") == std::vector<std::string>{"c.io|null"});
}

// Exit 3 for a file (a header with no entry column, an input that does not exist) still leaves
// the report and the outcomes file of this run, as an API failure does.
TEST_CASE("block add: a file that cannot be used still gets a report and an outcomes file") {
  live_sim s(fixture());
  for (const std::string& input :
       {s.write("bad.csv", "Company,Website\nA,b.io\n"), s.file("does-not-exist.txt")}) {
    CAPTURE(input);
    const auto r = run_leadpipe(
        s, {"block", "add", input, "--outcomes", s.file("o.csv"), "--report", s.file("r.json")});
    CHECK(r.rc == 3);
    const std::string rep = slurp(s.file("r.json"));
    CHECK(rep.find(R"("command":"block add")") != std::string::npos);
    CHECK(rep.find(R"("exit_code":3)") != std::string::npos);
    CHECK(rep.find(R"("stop_reason":")") != std::string::npos);
    CHECK(slurp(s.file("o.csv")) == "line,entry,outcome,reason,detail\n");
  }
  CHECK(s.state_int("requests") == 0);
}

TEST_CASE("block: usage errors exit 2 before any request") {
  live_sim s(fixture());
  CHECK(run_leadpipe(s, {"block"}).rc == 2);
  const auto not_id = run_leadpipe(s, {"block", "remove", "abc"});
  CHECK(not_id.rc == 2);
  CHECK(not_id.err.find("must be a positive whole number (got 'abc')") != std::string::npos);
  CHECK(run_leadpipe(s, {"block", "add", "x.txt", "--batch-size", "1001"}).rc == 2);
  // An output naming the input or another output would replace it; two on standard output mix.
  const std::string list = s.write("supp.txt", "a.io\n");
  const auto same = run_leadpipe(s, {"block", "add", list, "--outcomes", list});
  CHECK(same.rc == 2);
  CHECK(same.err.find("is also the INPUT file") != std::string::npos);
  CHECK(slurp(list) == "a.io\n");
  CHECK(run_leadpipe(s, {"block", "list", "--out", s.file("b.csv"), "--report", s.file("b.csv")})
            .rc == 2);
  CHECK(run_leadpipe(s, {"block", "remove", "12", "--report", "-"}).rc == 2);
  const auto help = run_leadpipe(s, {"block", "add", "--help"});
  CHECK(help.rc == 0);
  CHECK(help.out.find("requests of at most 1,000") != std::string::npos);
  CHECK(s.state_int("requests") == 0);
}
