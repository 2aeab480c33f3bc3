#include "leadgen_generate.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <doctest/doctest.h>
#include <simdjson.h>

#include "leadgen_data.hpp"
#include "leadgen_test_util.hpp"
#include "leadpipe/utf8.hpp"

using leadpipe::leadgen::gen_options;
using leadpipe::leadgen::gen_summary;
using leadpipe::leadgen::generate;
using leadpipe::leadgen::validate_options;
using namespace leadgen_test;

TEST_CASE("same flags and seed give byte-identical output; another seed does not") {
  const scratch tmp;
  gen_options o = tmp.options("same-a.csv");
  o.rates = {.duplicate = 0.1,
             .invalid = 0.1,
             .missing = 0.05,
             .risky = 0.05,
             .role = 0.05,
             .multiline = 0.1,
             .extra_column = 0.02,
             .short_row = 0.02,
             .unicode = 0.2};
  run(o);
  const gen_options again = tmp.same_as(o, "same-b.csv");
  run(again);
  CHECK(slurp(o.out) == slurp(again.out));
  gen_options other = tmp.same_as(o, "same-c.csv");
  other.seed = 43;
  run(other);
  CHECK(slurp(o.out) != slurp(other.out));
}

TEST_CASE("a shorter run is a prefix of a longer one: rows depend only on seed and index") {
  const scratch tmp;
  gen_options longer = tmp.options("prefix-long.csv", 3000);
  longer.rates.duplicate = 0.2;
  longer.rates.invalid = 0.1;
  run(longer);
  gen_options shorter = tmp.same_as(longer, "prefix-short.csv");
  shorter.rows = 1000;
  run(shorter);
  const std::string whole = slurp(longer.out);
  const std::string part = slurp(shorter.out);
  REQUIRE(part.size() < whole.size());
  CHECK(whole.compare(0, part.size(), part) == 0);
}

TEST_CASE("the header has the 15 export columns; --columns narrows or extends it") {
  const scratch tmp;
  auto records = run_and_parse(tmp.options("header.csv", 10));
  const record expected{
      "First Name",          "Last Name",    "Email", "Title", "Company Name", "Company Website",
      "Person Linkedin Url", "Mobile Phone", "City",  "State", "Country",      "Industry",
      "Employees",           "Seniority",    "Notes"};
  CHECK(records[0] == expected);

  gen_options narrow = tmp.options("narrow.csv", 50);
  narrow.columns = 4;
  for (const record& r : run_and_parse(narrow)) CHECK(r.size() == 4);

  gen_options wide = tmp.options("wide.csv", 50);
  wide.columns = 18;
  auto rows = run_and_parse(wide);
  CHECK(rows[0][14] == "Notes");
  CHECK(rows[0][15] == "Custom 1");
  CHECK(rows[0][17] == "Custom 3");
  for (const record& r : rows) CHECK(r.size() == 18);
}

TEST_CASE("malformed, missing and multiline rows are where the expectation says") {
  const scratch tmp;
  gen_options o = tmp.options("shape.csv", 5000);
  o.rates = {.missing = 0.05, .multiline = 0.2, .extra_column = 0.03, .short_row = 0.03};
  gen_summary s;
  auto records = run_and_parse(o, &s);
  std::uint64_t malformed = 0, missing = 0, multiline = 0;
  for (std::size_t i = 1; i < records.size(); ++i) {
    const record& r = records[i];
    if (r.size() != o.columns) {
      ++malformed;
      CHECK(r.size() >= 2);
      if (r.size() > o.columns) CHECK_FALSE(r.back().empty());
      continue;
    }
    if (r[2].empty()) ++missing;
    if (r[14].find('\n') != std::string::npos) {
      ++multiline;
      CHECK(r[14].find('"') != std::string::npos);
      CHECK(r[14].find_first_of(",;|\t") != std::string::npos);
    }
  }
  CHECK(malformed == s.outcomes.malformed_row);
  CHECK(missing == s.outcomes.missing_email);
  CHECK(multiline > 800);
  CHECK(multiline < 1200);
}

TEST_CASE("duplicates repeat an earlier identity key in a different spelling") {
  const scratch tmp;
  gen_options o = tmp.options("dups.csv", 5000);
  o.rates = {.duplicate = 0.25, .role = 0.1, .unicode = 0.3};
  gen_summary s;
  auto records = run_and_parse(o, &s);
  std::unordered_map<std::string, std::string> first_cell;
  std::uint64_t repeats = 0;
  for (std::size_t i = 1; i < records.size(); ++i) {
    const std::string& cell = records[i][2];
    const auto [it, inserted] = first_cell.emplace(identity_key(cell), cell);
    if (!inserted) {
      ++repeats;
      CHECK(cell != it->second);
    }
  }
  CHECK(repeats == s.outcomes.duplicate_in_file);
  CHECK(repeats > 1000);
}

TEST_CASE("invalid forms fail a plain address check; generated valid addresses pass it") {
  const scratch tmp;
  gen_options bad = tmp.options("invalid.csv", 3000);
  bad.rates.invalid = 1.0;
  auto records = run_and_parse(bad);
  std::set<std::string> shapes;
  for (std::size_t i = 1; i < records.size(); ++i) {
    const std::string& cell = records[i][2];
    CHECK_FALSE(cell.empty());
    CHECK_MESSAGE(!plain_address_shape(cell), cell);
    shapes.insert(cell.substr(0, 4));
  }
  CHECK(shapes.size() > 20);

  gen_options good = tmp.options("valid.csv", 3000);
  good.rates = {.duplicate = 0.2, .risky = 0.2, .role = 0.2};
  const auto valid = run_and_parse(good);
  for (std::size_t i = 1; i < valid.size(); ++i) {
    CHECK_MESSAGE(plain_address_shape(identity_key(valid[i][2])), valid[i][2]);
  }
}

TEST_CASE("risky and role rows use the fixed domain and local-part tables") {
  const scratch tmp;
  gen_options o = tmp.options("risky.csv", 2000);
  o.rates = {.risky = 0.5, .role = 0.5};
  gen_summary s;
  auto records = run_and_parse(o, &s);
  const auto in = [](auto table, std::string_view v) {
    return std::find(table.begin(), table.end(), v) != table.end();
  };
  std::uint64_t disposable = 0, placeholder = 0, role = 0;
  for (std::size_t i = 1; i < records.size(); ++i) {
    const std::string key = identity_key(records[i][2]);
    const std::string_view local = std::string_view(key).substr(0, key.find('@'));
    if (in(leadpipe::leadgen::disposable_domains(), domain_of(key))) ++disposable;
    if (in(leadpipe::leadgen::placeholder_locals(), local)) ++placeholder;
    if (in(leadpipe::leadgen::role_locals(), local)) ++role;
  }
  CHECK(disposable == s.outcomes.flag_disposable);
  CHECK(placeholder == s.outcomes.flag_placeholder);
  CHECK(role == s.outcomes.flag_role);
  CHECK(disposable + placeholder + role == o.rows);
  CHECK(s.outcomes.dropped_risky == disposable + placeholder);
  CHECK(s.outcomes.accepted == role);
}

TEST_CASE("company domains of the pool are distinct and never disposable") {
  std::unordered_set<std::string> seen;
  for (std::uint32_t c = 0; c < leadpipe::leadgen::company_count(); ++c) {
    std::string domain;
    leadpipe::leadgen::append_company_domain(domain, c);
    CHECK(seen.insert(domain).second);
    CHECK(plain_address_shape("x@" + domain));
  }
  for (std::string_view d : leadpipe::leadgen::disposable_domains())
    CHECK(seen.count(std::string(d)) == 0);
}

TEST_CASE("rates are roughly honoured; the expectation JSON sums to the rows") {
  const scratch tmp;
  gen_options o = tmp.options("rates.csv", 20000);
  o.rates = {.duplicate = 0.1,
             .invalid = 0.1,
             .missing = 0.1,
             .risky = 0.1,
             .role = 0.1,
             .extra_column = 0.05,
             .short_row = 0.05};
  o.expect_path = tmp.path("expect.json");
  const gen_summary s = run(o);
  const auto& c = s.outcomes;
  const auto near = [](std::uint64_t n, double expected) {
    return std::abs(static_cast<double>(n) - expected) < 400.0;  // > 6 standard deviations
  };
  for (std::uint64_t n : {c.duplicate_in_file, c.invalid_email, c.missing_email, c.dropped_risky,
                          c.flag_role, c.malformed_row}) {
    CHECK(near(n, 2000));
  }
  CHECK(near(c.accepted, 10000));
  CHECK(c.flag_disposable + c.flag_placeholder == c.dropped_risky);
  CHECK(c.flag_disposable > 700);
  CHECK(c.flag_placeholder > 700);

  simdjson::dom::parser parser;
  simdjson::dom::element doc = parser.load(o.expect_path);
  CHECK(std::uint64_t(doc["rows"]) == o.rows);
  std::uint64_t sum = 0;
  std::size_t keys = 0;
  for (auto [key, value] : simdjson::dom::object(doc["outcomes"])) {
    sum += std::uint64_t(value);
    ++keys;
  }
  CHECK(keys == 9);
  CHECK(sum == o.rows);
  CHECK(std::uint64_t(doc["outcomes"]["invalid_email"]) == s.outcomes.invalid_email);
  CHECK(std::uint64_t(doc["flags"]["role"]) == s.outcomes.flag_role);
  CHECK(std::uint64_t(doc["flags"]["disposable"]) == s.outcomes.flag_disposable);
  CHECK(std::uint64_t(doc["flags"]["placeholder"]) == s.outcomes.flag_placeholder);
}

TEST_CASE("companion lists have the requested sizes and the outcomes follow the precedence") {
  const scratch tmp;
  gen_options o = tmp.options("lists.csv", 4000);
  o.rates = {.duplicate = 0.1,
             .missing = 0.05,
             .role = 0.05,
             .extra_column = 0.02,
             .short_row = 0.02,
             .unicode = 0.2};
  o.existing = {tmp.path("existing.txt"), 300, 0.5};
  o.block = {tmp.path("block.txt"), 400, 0.25};
  o.block_domain_count = 3;
  o.unsubscribed = {tmp.path("unsub.txt"), 300, 0.8};
  gen_summary s;
  auto records = run_and_parse(o, &s);

  const auto existing = lines_of(o.existing.path);
  const auto block = lines_of(o.block.path);
  const auto unsub = lines_of(o.unsubscribed.path);
  CHECK(existing.size() == 300);
  CHECK(block.size() == 403);
  CHECK(unsub.size() == 300);
  const std::unordered_set<std::string> existing_set(existing.begin(), existing.end());
  const std::unordered_set<std::string> unsub_set(unsub.begin(), unsub.end());
  std::unordered_set<std::string> block_emails, block_domains;
  for (const auto& line : block)
    (line.find('@') == std::string::npos ? block_domains : block_emails).insert(line);
  CHECK(existing_set.size() == 300);  // fillers are distinct too
  CHECK(block_domains.size() == 3);

  // Classify every row independently, in leadpipe's order, and compare with the generator.
  leadpipe::leadgen::outcome_counts c;
  std::unordered_set<std::string> seen;
  std::uint64_t existing_hits = 0, block_hits = 0, unsub_hits = 0, domain_blocked = 0;
  for (std::size_t i = 1; i < records.size(); ++i) {
    const record& r = records[i];
    if (r.size() != o.columns) {
      ++c.malformed_row;
      continue;
    }
    if (r[2].empty()) {
      ++c.missing_email;
      continue;
    }
    const std::string key = identity_key(r[2]);
    if (!seen.insert(key).second) {
      ++c.duplicate_in_file;
      continue;
    }
    const bool by_domain = block_domains.count(std::string(domain_of(key))) > 0;
    existing_hits += existing_set.count(key);
    block_hits += block_emails.count(key);
    unsub_hits += unsub_set.count(key);
    domain_blocked += by_domain ? 1 : 0;
    if (existing_set.count(key) > 0) {
      ++c.already_in_campaign;
    } else if (block_emails.count(key) > 0 || by_domain) {
      ++c.blocked;
    } else if (unsub_set.count(key) > 0) {
      ++c.unsubscribed;
    } else {
      ++c.accepted;
    }
  }
  CHECK(existing_hits == 150);
  CHECK(block_hits == 100);
  CHECK(unsub_hits == 240);
  CHECK(existing_hits == s.existing_hits);
  CHECK(block_hits == s.block_hits);
  CHECK(unsub_hits == s.unsubscribed_hits);
  CHECK(domain_blocked > 0);
  CHECK(c.malformed_row == s.outcomes.malformed_row);
  CHECK(c.missing_email == s.outcomes.missing_email);
  CHECK(c.duplicate_in_file == s.outcomes.duplicate_in_file);
  CHECK(c.already_in_campaign == s.outcomes.already_in_campaign);
  CHECK(c.blocked == s.outcomes.blocked);
  CHECK(c.unsubscribed == s.outcomes.unsubscribed);
  CHECK(c.accepted == s.outcomes.accepted);
}

TEST_CASE("the simulator fixture puts the lists into one campaign") {
  const scratch tmp;
  gen_options o = tmp.options("fixture.csv", 1000);
  o.existing = {tmp.path("fx-existing.txt"), 40, 0.5};
  o.block = {tmp.path("fx-block.txt"), 30, 0.5};
  o.block_domain_count = 2;
  o.unsubscribed = {tmp.path("fx-unsub.txt"), 20, 0.5};
  o.sim_fixture_path = tmp.path("fixture.json");
  o.campaign_id = 7;
  run(o);
  simdjson::dom::parser parser;
  simdjson::dom::element doc = parser.load(o.sim_fixture_path);
  CHECK(std::int64_t(doc["campaigns"].at(0)["id"]) == 7);
  CHECK(std::string_view(doc["campaigns"].at(0)["status"]) == "ACTIVE");
  const auto existing = lines_of(o.existing.path);
  CHECK(simdjson::dom::array(doc["leads"]).size() == 40);
  CHECK(simdjson::dom::array(doc["memberships"]).size() == 40);
  CHECK(std::string_view(doc["memberships"].at(3)["email"]) == existing[3]);
  CHECK(std::int64_t(doc["memberships"].at(3)["campaign_id"]) == 7);
  CHECK(simdjson::dom::array(doc["block_list"]).size() == 32);
  CHECK(std::string_view(doc["block_list"].at(0)["email_or_domain"]) == lines_of(o.block.path)[0]);
  CHECK(simdjson::dom::array(doc["unsubscribed"]).size() == 20);
}

TEST_CASE("a hit rate above what the file can supply is capped and topped up with fillers") {
  const scratch tmp;
  gen_options o = tmp.options("cap.csv", 100);
  o.existing = {tmp.path("cap-existing.txt"), 1000, 1.0};
  const gen_summary s = run(o);
  CHECK(s.eligible_rows == 100);
  CHECK(s.existing_hits == 100);
  CHECK(lines_of(o.existing.path).size() == 1000);
}

TEST_CASE("gzip output is valid gzip with a fixed header and inflates to the plain output") {
  const scratch tmp;
  gen_options plain = tmp.options("plain.csv", 20000);
  plain.rates = {.invalid = 0.1, .multiline = 0.1, .unicode = 0.1};
  run(plain);
  const gen_options by_name = tmp.same_as(plain, "named.csv.gz");
  run(by_name);
  gen_options by_flag = tmp.same_as(plain, "flagged.bin");
  by_flag.gzip = true;
  run(by_flag);
  const std::string gz = slurp(by_name.out);
  REQUIRE(gz.size() > 10);
  CHECK(static_cast<unsigned char>(gz[0]) == 0x1f);
  CHECK(static_cast<unsigned char>(gz[1]) == 0x8b);
  CHECK(static_cast<unsigned char>(gz[9]) == 255);  // OS "unknown": same bytes everywhere
  CHECK(gz == slurp(by_flag.out));
  CHECK(gunzip(gz) == slurp(plain.out));
}

TEST_CASE("delimiter, CRLF and BOM options shape the bytes") {
  const scratch tmp;
  gen_options o = tmp.options("semi.csv", 300);
  o.delimiter = ';';
  o.crlf = true;
  o.bom = true;
  auto records = run_and_parse(o);
  const std::string text = slurp(o.out);
  CHECK(text.substr(0, 3) == "\xEF\xBB\xBF");
  CHECK(text.substr(3, 25) == "First Name;Last Name;Emai");
  for (std::size_t i = text.find('\n'); i != std::string::npos; i = text.find('\n', i + 1)) {
    REQUIRE(i > 0);
    CHECK(text[i - 1] == '\r');
  }
  for (const record& r : records) CHECK(r.size() == 15);

  gen_options tab = tmp.options("tab.csv", 300);
  tab.delimiter = '\t';
  tab.rates.multiline = 0.5;
  for (const record& r : run_and_parse(tab)) CHECK(r.size() == 15);
  gen_options pipe = tmp.options("pipe.csv", 300);
  pipe.delimiter = '|';
  pipe.rates.invalid = 0.5;
  for (const record& r : run_and_parse(pipe)) CHECK(r.size() == 15);
}

TEST_CASE("unicode rows are valid UTF-8 and some addresses use IDN domains") {
  const scratch tmp;
  gen_options o = tmp.options("unicode.csv", 2000);
  o.rates = {.duplicate = 0.1, .unicode = 1.0};
  auto records = run_and_parse(o);
  CHECK(leadpipe::utf8::is_valid(slurp(o.out)));
  std::uint64_t idn = 0, non_ascii_names = 0;
  for (std::size_t i = 1; i < records.size(); ++i) {
    if (!leadpipe::utf8::is_ascii(records[i][0])) ++non_ascii_names;
    const std::string key = identity_key(records[i][2]);
    if (!leadpipe::utf8::is_ascii(domain_of(key))) {
      ++idn;
      CHECK(leadpipe::utf8::is_ascii(key.substr(0, key.find('@'))));  // no smtputf8 local parts
    }
  }
  CHECK(non_ascii_names > 1500);
  CHECK(idn > 300);
}

TEST_CASE("bad options are rejected with the flag's name") {
  const auto message = [](const gen_options& o) {
    auto v = validate_options(o);
    return v ? std::string() : v.error().message;
  };
  gen_options o;
  CHECK(message(o).empty());
  o.columns = 3;
  CHECK(message(o).find("--columns") == 0);
  o = {};
  o.rates.invalid = 0.6;
  o.rates.duplicate = 0.6;
  CHECK(message(o).find("sum to more than 1") != std::string::npos);
  o = {};
  o.rates.unicode = 1.5;
  CHECK(message(o).find("--unicode-rate") == 0);
  o = {};
  o.delimiter = 'x';
  CHECK(message(o).find("--delimiter") == 0);
  o = {};
  o.block.count = 10;
  CHECK(message(o) == "--block-count: needs --block-list");
  o = {};
  o.existing = {"x.txt", 10, 2.0};
  CHECK(message(o).find("--existing-hit-rate") == 0);
  o = {};
  o.block.path = "b.txt";
  o.block_domain_count = leadpipe::leadgen::company_count() + 1;
  CHECK(message(o).find("--block-domain-count") == 0);
  o = {};
  o.sim_fixture_path = "f.json";
  CHECK(message(o) == "--sim-fixture: needs --campaign-id");
}

TEST_CASE("an output that cannot be created fails with a message naming it") {
  const scratch tmp;
  const gen_options o = tmp.options("no-such-dir/x.csv", 10);
  auto result = generate(o);
  REQUIRE_FALSE(result.has_value());
  CHECK(result.error().message.find(o.out + ": cannot create") == 0);
}

TEST_CASE("the executable documents every flag and writes what the library writes") {
  const scratch tmp;
  const std::string exe = LEADPIPE_BINARY_DIR "/tools/leadpipe-gen";
  std::FILE* pipe = ::popen((exe + " --help").c_str(), "r");
  REQUIRE(pipe != nullptr);
  std::string help;
  char buf[4096];
  for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, pipe)) > 0;) help.append(buf, n);
  CHECK(::pclose(pipe) == 0);
  for (const char* flag : {"--rows",
                           "--seed",
                           "--out",
                           "--columns",
                           "--duplicate-rate",
                           "--invalid-rate",
                           "--missing-rate",
                           "--risky-rate",
                           "--role-rate",
                           "--multiline-rate",
                           "--extra-column-rate",
                           "--short-row-rate",
                           "--unicode-rate",
                           "--delimiter",
                           "--crlf",
                           "--bom",
                           "--gzip",
                           "--gzip-level",
                           "--block-list",
                           "--block-count",
                           "--block-hit-rate",
                           "--block-domain-count",
                           "--unsubscribed",
                           "--unsubscribed-count",
                           "--unsubscribed-hit-rate",
                           "--existing",
                           "--existing-count",
                           "--existing-hit-rate",
                           "--expect",
                           "--sim-fixture",
                           "--campaign-id",
                           "--quiet"}) {
    CHECK_MESSAGE(help.find(flag) != std::string::npos, flag);
  }

  gen_options o = tmp.options("lib.csv", 500);
  o.rates = {.duplicate = 0.1, .invalid = 0.1, .multiline = 0.1};
  o.delimiter = '\t';
  run(o);
  const std::string cli_out = tmp.path("cli.csv");
  const std::string command = exe +
                              " --rows 500 --seed 42 --duplicate-rate 0.1 --invalid-rate 0.1"
                              " --multiline-rate 0.1 --delimiter '\\t' --quiet --out " +
                              cli_out;
  CHECK(std::system(command.c_str()) == 0);
  CHECK(slurp(cli_out) == slurp(o.out));
  CHECK(std::system((exe + " --rows 5 --columns 2 --out /dev/null 2>/dev/null").c_str()) != 0);
}
