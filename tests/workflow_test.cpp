// workflow.hpp: status words, block-list entry checks, list inputs, the add requests' split and
// bisect logic against a scripted server, and API pages turned into CSV and text.
#include "leadpipe/workflow.hpp"

#include <filesystem>
#include <fstream>
#include <set>

#include <unistd.h>

#include <doctest/doctest.h>

using namespace leadpipe;
using namespace leadpipe::workflow;

namespace {

namespace fs = std::filesystem;

// A scratch directory removed at the end of the test.
struct scratch_dir {
  fs::path dir =
      fs::temp_directory_path() / ("leadpipe_workflow_test_" + std::to_string(::getpid()));
  scratch_dir() { fs::create_directories(dir); }
  ~scratch_dir() { fs::remove_all(dir); }
  std::string write(const std::string& name, const std::string& text) const {
    std::ofstream(dir / name, std::ios::binary) << text;
    return (dir / name).string();
  }
};

const email_validator& validator() {
  static const email_validator v{email_options{}};
  return v;
}

std::string filter_text(std::string_view word) {
  const auto f = filter_for_word(word);
  return f ? std::string(f->param) + "=" + std::string(f->value) : "unknown";
}

struct read_result {
  std::vector<std::string> rows;  // "line:cell|cell|error"
  input_identity id;
};

read_result read(const std::string& path, std::vector<std::vector<std::string_view>> names) {
  std::vector<std::span<const std::string_view>> columns(names.begin(), names.end());
  read_result out;
  out.id = read_list(path, columns, [&](const list_row& r) {
    std::string s = std::to_string(r.line) + ":";
    for (const auto c : r.cells) s += std::string(c) + "|";
    out.rows.push_back(s + std::string(r.error));
  });
  return out;
}

// A scripted server for add_entries: refuses requests holding any of `bad` (naming them when
// `name_keys`), answers `status` instead of 200 when set, and logs every request's size.
struct fake_server {
  std::set<std::string> bad;
  bool name_keys = false;
  int status = 200;
  std::string body;
  std::vector<std::size_t> sizes;

  add_reply operator()(std::span<const std::string_view> entries) {
    sizes.push_back(entries.size());
    if (status != 200) return {status, body};
    std::string keys;
    for (std::size_t i = 0; i < entries.size(); ++i) {
      if (bad.count(std::string(entries[i])) == 0) continue;
      if (!name_keys) {
        return {400, R"({"statusCode":400,"message":"refused"})"};
      }
      keys += (keys.empty() ? "\"" : ",\"") + std::string("domain_block_list.") +
              std::to_string(i) + "\"";
    }
    if (!keys.empty()) {
      return {400,
              R"({"statusCode":400,"message":"not valid","validation":{"keys":[)" + keys + "]}}"};
    }
    return {200, R"({"ok":true})"};
  }
};

std::vector<std::string> numbered(std::size_t n) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < n; ++i) out.push_back("d" + std::to_string(i) + ".io");
  return out;
}

std::vector<std::string_view> views(const std::vector<std::string>& v) {
  return {v.begin(), v.end()};
}

}  // namespace

TEST_CASE("status words: the guide's, the API's and emailStatus values map to listing filters") {
  CHECK(filter_text("NOT_CONTACTED") == "status=STARTED");
  CHECK(filter_text("IN_PROGRESS") == "status=INPROGRESS");
  CHECK(filter_text("COMPLETED") == "status=COMPLETED");
  CHECK(filter_text("INTERESTED") == "lead_category_id=1");
  CHECK(filter_text("NOT_INTERESTED") == "lead_category_id=3");
  CHECK(filter_text("DO_NOT_CONTACT") == "lead_category_id=4");
  CHECK(filter_text("BOUNCED") == "emailStatus=is_bounced");
  CHECK(filter_text("UNSUBSCRIBED") == "emailStatus=is_unsubscribed");
  CHECK(filter_text("inprogress") == "status=INPROGRESS");
  CHECK(filter_text("Paused") == "status=PAUSED");
  CHECK(filter_text("stopped") == "status=STOPPED");
  CHECK(filter_text("started") == "status=STARTED");
  CHECK(filter_text("IS_OPENED") == "emailStatus=is_opened");
  CHECK(filter_text("not_replied") == "emailStatus=not_replied");
  CHECK(filter_text("not-contacted") == "status=STARTED");
  CHECK(filter_text(" do not contact ") == "lead_category_id=4");
  CHECK(filter_text("BLOCKED") == "unknown");
  CHECK(filter_text("") == "unknown");
  CHECK(filter_words().find("DO_NOT_CONTACT") != std::string_view::npos);
}

TEST_CASE("status words: what set-status does with each") {
  const auto action = [](std::string_view w) {
    const auto c = change_for_word(w);
    REQUIRE(c.has_value());
    return c->action;
  };
  CHECK(action("IN_PROGRESS") == status_action::resume);
  CHECK(action("inprogress") == status_action::resume);
  CHECK(action("PAUSED") == status_action::pause);
  CHECK(action("STOPPED") == status_action::campaign_unsubscribe);
  CHECK(action("UNSUBSCRIBED") == status_action::global_unsubscribe);
  for (const char* w : {"NOT_CONTACTED", "STARTED", "COMPLETED", "BOUNCED"}) {
    CAPTURE(w);
    CHECK(action(w) == status_action::not_settable);
  }
  const auto dnc = change_for_word("do_not_contact");
  REQUIRE(dnc.has_value());
  CHECK(dnc->action == status_action::set_category);
  CHECK(dnc->category_id == 4);
  CHECK(dnc->pause_lead);
  CHECK(dnc->word == "DO_NOT_CONTACT");
  CHECK(change_for_word("interested")->category_id == 1);
  CHECK(change_for_word("NOT_INTERESTED")->category_id == 3);
  CHECK_FALSE(change_for_word("NOT_INTERESTED")->pause_lead);
  CHECK_FALSE(change_for_word("is_opened").has_value());
  CHECK_FALSE(change_for_word("OPENED").has_value());
}

TEST_CASE("block entries: addresses and domains in the form the server stores") {
  entry_checker check(validator());
  std::string out;
  CHECK(check.block_entry("  CEO@Rival.IO ", out) == entry_kind::address);
  CHECK(out == "ceo@rival.io");
  CHECK(check.block_entry("Rival.Example", out) == entry_kind::domain);
  CHECK(out == "rival.example");  // the server's rule, not the email policy's reserved list
  CHECK(check.block_entry("@competitor.io", out) == entry_kind::domain);
  CHECK(out == "competitor.io");
  CHECK(check.block_entry("bücher.de", out) == entry_kind::domain);
  CHECK(out == "xn--bcher-kva.de");
  CHECK(check.block_entry("anna@bücher.de", out) == entry_kind::address);
  CHECK(out == "anna@xn--bcher-kva.de");
  for (const char* bad : {"localhost", "a@b", "-bad.io", "x@-bad.io", "two@@at.io", "has space.io",
                          "jos\xc3\xa9@acme.io", "", "   "}) {
    CAPTURE(bad);
    CHECK(check.block_entry(bad, out) == entry_kind::invalid);
    CHECK_FALSE(out.empty());
  }
  CHECK(check.address("rival.io", out) == false);
  CHECK(check.address(" Bo@Example.NET", out));
  CHECK(out == "bo@example.net");
}

TEST_CASE("list inputs: one entry per line, or a CSV naming the columns") {
  scratch_dir d;
  SUBCASE("one per line, blank and # lines skipped") {
    const auto r = read(d.write("a.txt", "rival.io\n\n# note\nceo@acme.io\n  \n"),
                        {{"email_or_domain", "email"}});
    CHECK(r.rows == std::vector<std::string>{"1:rival.io|", "4:ceo@acme.io|"});
    CHECK(r.id.size == 32);
    CHECK(r.id.xxh3_128.size() == 32);
  }
  SUBCASE("a CSV with the column among others") {
    const auto r = read(d.write("b.csv", "id,Email Or Domain,note\n1,rival.io,x\n2,\"a@b.io\",y\n"),
                        {{"email_or_domain", "email"}});
    CHECK(r.rows == std::vector<std::string>{"2:rival.io|", "3:a@b.io|"});
  }
  SUBCASE("two columns with or without header") {
    const std::vector<std::vector<std::string_view>> cols = {{"email"}, {"status"}};
    CHECK(read(d.write("c.csv", "Status,EMAIL\nPAUSED,a@b.io\n"), cols).rows ==
          std::vector<std::string>{"2:a@b.io|PAUSED|"});
    CHECK(read(d.write("d.csv", "a@b.io,PAUSED\nc@d.io,\"unterminated\n"), cols).rows ==
          std::vector<std::string>{"1:a@b.io|PAUSED|", "2:||unterminated quote"});
    CHECK_THROWS_WITH_AS(
        read(d.write("e.csv", "email,note\na@b.io,x\n"), cols),
        doctest::Contains("e.csv:1: the header must name the columns email,status"),
        std::runtime_error);
    CHECK_THROWS_WITH_AS(read(d.write("f.csv", "a@b.io\n"), cols),
                         doctest::Contains("f.csv:1: expected rows of email,status"),
                         std::runtime_error);
  }
  SUBCASE("a header-less list with several columns is refused; empty input is no rows") {
    CHECK_THROWS_AS(read(d.write("g.csv", "a@b.io,c@d.io\n"), {{"email"}}), std::runtime_error);
    CHECK(read(d.write("h.csv", ""), {{"email"}}).rows.empty());
  }
}

TEST_CASE("add_entries: requests of at most the limit") {
  const auto entries = numbered(2500);
  const auto v = views(entries);
  std::vector<add_result> results(v.size());
  fake_server server;
  const add_summary s = add_entries(v, 1000, std::ref(server), results);
  CHECK(server.sizes == std::vector<std::size_t>{1000, 1000, 500});
  CHECK(s.requests == 3);
  CHECK(s.fatal.empty());
  for (const auto& r : results) CHECK(r.state == add_state::added);
  std::vector<add_result> again(v.size());
  fake_server small;
  (void)add_entries(v, 5000, std::ref(small), again);  // clamped to the contract's 1,000
  CHECK(small.sizes.size() == 3);
}

TEST_CASE("add_entries: a 400 naming no entry is bisected down to the refused entries") {
  const auto entries = numbered(16);
  const auto v = views(entries);
  std::vector<add_result> results(v.size());
  fake_server server;
  server.bad = {"d5.io", "d6.io"};
  const add_summary s = add_entries(v, 1000, std::ref(server), results);
  // 16 -> 8+8 -> 4+4 (second half of the first 8 holds both) -> 2+2 -> 1+1 each.
  CHECK(server.sizes == std::vector<std::size_t>{16, 8, 4, 4, 2, 1, 1, 2, 1, 1, 8});
  CHECK(s.requests == 11);
  CHECK(s.splits == 5);
  for (std::size_t i = 0; i < v.size(); ++i) {
    CAPTURE(i);
    CHECK(results[i].state == (i == 5 || i == 6 ? add_state::rejected : add_state::added));
  }
  CHECK(results[5].detail == "400: refused");
}

TEST_CASE("add_entries: a 400 naming elements sets exactly those aside and resends the rest") {
  const auto entries = numbered(1500);
  const auto v = views(entries);
  std::vector<add_result> results(v.size());
  fake_server server;
  server.name_keys = true;
  server.bad = {"d3.io", "d1200.io"};
  const add_summary s = add_entries(v, 1000, std::ref(server), results);
  CHECK(server.sizes == std::vector<std::size_t>{1000, 999, 500, 499});
  CHECK(s.requests == 4);
  CHECK(results[3].state == add_state::rejected);
  CHECK(results[3].detail == "400: not valid");
  CHECK(results[1200].state == add_state::rejected);
  CHECK(results[4].state == add_state::added);
  CHECK(results[1499].state == add_state::added);
}

TEST_CASE("add_entries: request-level refusals stop the run, server errors lose one request") {
  const auto entries = numbered(1200);
  const auto v = views(entries);
  SUBCASE("a refused client_id is fatal, nothing is bisected") {
    std::vector<add_result> results(v.size());
    fake_server server;
    server.status = 400;
    server.body = R"({"message":"client_id must be null or a client of the account",)"
                  R"("validation":{"keys":["client_id"]}})";
    const add_summary s = add_entries(v, 1000, std::ref(server), results);
    CHECK(s.requests == 1);
    CHECK(s.fatal_status == 400);
    CHECK(s.fatal.find("client_id must be null") != std::string::npos);
    for (const auto& r : results) CHECK(r.state == add_state::pending);
  }
  SUBCASE("a refused key is fatal") {
    std::vector<add_result> results(v.size());
    fake_server server;
    server.status = 401;
    server.body = R"({"message":"Invalid API Key"})";
    const add_summary s = add_entries(v, 1000, std::ref(server), results);
    CHECK(s.requests == 1);
    CHECK(s.fatal_status == 401);
  }
  SUBCASE("a 503 after the transport's retries marks its request's entries not sent") {
    std::vector<add_result> results(v.size());
    fake_server server;
    server.status = 503;
    server.body = R"({"message":"overloaded"})";
    const add_summary s = add_entries(v, 1000, std::ref(server), results);
    CHECK(s.requests == 2);
    CHECK(s.fatal.empty());
    CHECK(results[0].state == add_state::not_sent);
    CHECK(results[0].detail == "the server answered 503: overloaded");
    CHECK(results[1199].state == add_state::not_sent);
  }
}

TEST_CASE("block_add_body: entries as JSON strings and the client id or null") {
  const std::vector<std::string_view> e = {"rival.io", "a\"b@c.io"};
  CHECK(block_add_body(e, std::nullopt) ==
        R"({"domain_block_list":["rival.io","a\"b@c.io"],"client_id":null})");
  CHECK(block_add_body(e, 11) ==
        R"({"domain_block_list":["rival.io","a\"b@c.io"],"client_id":11})");
}

TEST_CASE("page_reader: block-list pages become formula-safe CSV rows") {
  page_reader r;
  std::string csv;
  std::string msg;
  const auto n = r.append_block_rows(
      R"([{"id":3000000009,"email_or_domain":"rival.io","created_at":"2026-01-05T09:30:00.000Z",)"
      R"("source":"manual","client_id":null},{"id":7,"email_or_domain":"=cmd|x","client_id":11,)"
      R"("source":"+import","created_at":"t"}])",
      csv, &msg);
  REQUIRE(n.has_value());
  CHECK(*n == 2);
  CHECK(csv ==
        "3000000009,rival.io,,manual,2026-01-05T09:30:00.000Z\n7,\"'=cmd|x\",11,\"'+import\",t\n");
  CHECK_FALSE(r.append_block_rows(R"({"data":[]})", csv, &msg).has_value());
  CHECK(msg.find("not a json array") != std::string::npos);
}

TEST_CASE("page_reader: listing pages become lead rows, deduplicated by map id when asked") {
  page_reader r;
  const std::string body = R"({"total_leads":"3","offset":0,"limit":100,"data":[
    {"campaign_lead_map_id":3000000500,"lead_category_id":null,"status":"STARTED",
     "created_at":"2026-01-05T09:30:00.000Z",
     "lead":{"id":3000000123,"first_name":"Ana","last_name":"Silva, Jr","email":"ana@x.io",
             "phone_number":null,"company_name":"Ex","website":null,"location":null,
             "linkedin_profile":null,"company_url":null,"custom_fields":{"role":"CFO"},
             "is_unsubscribed":false}},
    {"campaign_lead_map_id":3000000501,"lead_category_id":4,"status":"PAUSED",
     "created_at":"t","lead":{"id":5,"email":"bo@x.io","custom_fields":{},"is_unsubscribed":true}}
  ]})";
  std::string csv;
  std::string msg;
  boost::unordered_flat_set<std::int64_t> seen{3000000501};
  const auto page = r.append_lead_rows(body, csv, &seen, &msg);
  REQUIRE(page.has_value());
  CHECK(page->items == 2);
  CHECK(page->written == 1);
  CHECK(page->total == 3);
  CHECK(csv ==
        "3000000500,3000000123,ana@x.io,Ana,\"Silva, Jr\",,Ex,,,,,STARTED,,false,"
        "2026-01-05T09:30:00.000Z,\"{\"\"role\"\":\"\"CFO\"\"}\"\n");
  csv.clear();
  const auto all = r.append_lead_rows(body, csv, nullptr, &msg);
  REQUIRE(all.has_value());
  CHECK(all->written == 2);
  CHECK(csv.ends_with("3000000501,5,bo@x.io,,,,,,,,,PAUSED,4,true,t,{}\n"));
  CHECK_FALSE(r.append_lead_rows("[]", csv, nullptr, &msg).has_value());
}

TEST_CASE("page_reader: lookups, found or the empty object") {
  page_reader r;
  std::string msg;
  const auto none = r.read_lookup("{}", &msg);
  REQUIRE(none.has_value());
  CHECK_FALSE(none->found);
  const auto one = r.read_lookup(
      R"({"id":3000000007,"email":"Bo@x.io","lead_campaign_data":[{"campaign_lead_map_id":9,)"
      R"("campaign_id":1,"campaign_name":"c","client_id":null,"lead_category_id":null},)"
      R"({"campaign_lead_map_id":10,"campaign_id":2}]})",
      &msg);
  REQUIRE(one.has_value());
  CHECK(one->found);
  CHECK(one->lead_id == 3000000007);
  CHECK(one->email == "Bo@x.io");
  CHECK(one->campaigns == std::vector<std::pair<std::int64_t, std::int64_t>>{{1, 9}, {2, 10}});
  CHECK(one->in_campaign(2));
  CHECK_FALSE(one->in_campaign(3));
  CHECK_FALSE(r.read_lookup(R"({"email":"x"})", &msg).has_value());
}

TEST_CASE("page_reader: message history as text blocks, control characters removed") {
  page_reader r;
  std::string out;
  std::string msg;
  const auto n = r.append_history_text(
      R"({"history":[{"type":"SENT","time":"2026-01-03T10:00:00.000Z","from":"me@acme.io",)"
      R"("to":"bo@x.io","subject":"Hi\u001b[31m","email_seq_number":"1",)"
      R"("email_body":"<p>Hello&nbsp;Bo,</p><p>See   you &amp; bye</p>"},)"
      R"({"type":"REPLY","time":"t2","email_body":"No thanks\nBo"}],"from":"","to":"bo@x.io"})",
      0, out, &msg);
  REQUIRE(n.has_value());
  CHECK(*n == 2);
  CHECK(out ==
        "[1] 2026-01-03T10:00:00.000Z SENT (step 1)\n"
        "    from: me@acme.io -> to: bo@x.io\n"
        "    subject: Hi[31m\n"
        "    | Hello Bo,\n"
        "    |\n"
        "    | See you & bye\n\n"
        "[2] t2 REPLY\n"
        "    from:  -> to: \n"
        "    subject: \n"
        "    | No thanks\n"
        "    | Bo\n\n");
  out.clear();
  CHECK(*r.append_history_text(R"({"history":[]})", 0, out, &msg) == 0);
  CHECK(out.empty());
  CHECK_FALSE(r.append_history_text(R"({"messages":[]})", 0, out, &msg).has_value());
}

TEST_CASE("append_plain_text: tags, entities, white space and the cut") {
  const auto text = [](std::string_view html, std::size_t max = 0) {
    std::string out;
    append_plain_text(out, html, max);
    return out;
  };
  CHECK(text("<div>Hi<br>there</div>") == "Hi\nthere");
  CHECK(text("<style>p{color:red}</style><b>Bold</b>  text") == "Bold text");
  CHECK(text("a &lt;b&gt; &#64; &#x41; &bogus; &#39;") == "a <b> @ A &bogus; '");
  // HTML 4's named references, as mail bodies write them.
  CHECK(text("caf&eacute; &hellip; it&rsquo;s &euro;5&nbsp;net &Uuml; &apos;") ==
        "caf\u00e9 \u2026 it\u2019s \u20ac5 net \u00dc '");
  CHECK(text("&amp &eacute &verylongnamethatisnotone;") ==
        "&amp &eacute &verylongnamethatisnotone;");
  CHECK(text("plain\n\n\n\nlines  here") == "plain\n\nlines here");
  CHECK(text("  ") == "");
  CHECK(text("héllo wörld", 2) == "h [...]");  // never inside a character
  CHECK(text("héllo wörld", 3) == "hé [...]");
  CHECK(text("short", 10) == "short");
}
