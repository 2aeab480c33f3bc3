#include "leadpipe/pipeline.hpp"

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include <unistd.h>

#include <doctest/doctest.h>
#include <simdjson.h>

using namespace leadpipe;
namespace fs = std::filesystem;

namespace {

struct temp_dir {
  fs::path path;
  temp_dir() {
    static int n = 0;
    path = fs::temp_directory_path() /
           ("leadpipe_pipeline_test_" + std::to_string(::getpid()) + "_" + std::to_string(n++));
    fs::create_directories(path);
  }
  ~temp_dir() { fs::remove_all(path); }
  std::string write(const std::string& name, const std::string& text) const {
    std::ofstream(path / name, std::ios::binary) << text;
    return (path / name).string();
  }
  std::string file(const std::string& name) const { return (path / name).string(); }
};

std::string slurp(const std::string& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream ss(text);
  for (std::string l; std::getline(ss, l);) out.push_back(l);
  return out;
}

struct run_result {
  report rep{"validate"};
  std::string outcomes;
  std::string rejects;
  std::string out;
};

// Options that read `csv` (written to leads.csv in `d`), without progress output.
cpu_options reading(const temp_dir& d, const std::string& csv) {
  cpu_options o;
  o.progress = progress_mode::off;
  o.input = d.write("leads.csv", csv);
  return o;
}

run_result run(const temp_dir& d, cpu_options o) {
  run_result r;
  cpu_pipeline pipe(o, r.rep);
  outcome_files files(d.file("outcomes.csv"), d.file("rejects.csv"));
  csv_lead_writer out(d.file("out.csv"), pipe.mapping());
  file_outcome_sink sink(files, r.rep);
  pipe.run(out, sink, r.rep);
  files.close();
  out.close();
  r.outcomes = slurp(d.file("outcomes.csv"));
  r.rejects = slurp(d.file("rejects.csv"));
  r.out = slurp(d.file("out.csv"));
  return r;
}

}  // namespace

TEST_CASE("every row gets exactly one outcome, in input order, with the server's precedence") {
  temp_dir d;
  cpu_options o;
  o.progress = progress_mode::off;
  o.input = d.write("leads.csv",
                    "Email,First Name,Tier\n"
                    "ana@acme.io,Ana,A\n"             // 2 accepted
                    "bob@example.com,Bob,B\n"         // 3 invalid (reserved domain)
                    ",Nobody,C\n"                     // 4 missing email
                    " ANA@ACME.IO ,Ana2,A\n"          // 5 duplicate of line 2
                    "x@mailinator.com,Disp,\n"        // 6 dropped (disposable)
                    "member@acme.io,Mem,\n"           // 7 already in campaign
                    "anyone@blocked.io,Blk,\n"        // 8 blocked by domain
                    "ceo@acme.io,Ceo,\n"              // 9 blocked by address
                    "gone@acme.io,Gone,\n"            // 10 unsubscribed
                    "too,many,fields,here\n"          // 11 malformed
                    "info@acme.io,Info,\n"            // 12 accepted, role flag
                    "\"multi\nline@acme.io\",M,\n");  // 13 invalid (newline in address)
  o.existing = d.write("existing.txt", "Member@Acme.io\n");
  o.block_list = d.write("block.csv", "email_or_domain\nblocked.io\nceo@acme.io\n# not a comment in csv\n");
  o.unsubscribed = d.write("unsub.txt", "# comment\n\ngone@acme.io\n");
  run_result r = run(d, o);
  const auto& c = r.rep.outcomes();
  CHECK(r.rep.rows_read() == 12);
  CHECK(r.rep.balanced());
  CHECK(c[outcome::accepted] == 2);
  CHECK(c[outcome::invalid_email] == 2);
  CHECK(c[outcome::missing_email] == 1);
  CHECK(c[outcome::duplicate_in_file] == 1);
  CHECK(c[outcome::dropped_risky] == 1);
  CHECK(c[outcome::already_in_campaign] == 1);
  CHECK(c[outcome::blocked] == 2);
  CHECK(c[outcome::unsubscribed] == 1);
  CHECK(c[outcome::malformed_row] == 1);
  CHECK(r.rep.flag_count(risk::role) == 1);
  CHECK(r.rep.flag_count(risk::disposable) == 1);

  const auto ol = lines_of(r.outcomes);
  REQUIRE(ol.size() >= 13);
  CHECK(ol[0] == "line,email,outcome,reason,detail,flags,by,batch");
  CHECK(ol[1].rfind("2,ana@acme.io,accepted,", 0) == 0);
  CHECK(ol[4].rfind("5,ANA@acme.io,duplicate_in_file,duplicate,duplicate of line 2,", 0) == 0);
  CHECK(ol[5].find("dropped_risky,disposable") != std::string::npos);
  CHECK(ol[6].find("already_in_campaign") != std::string::npos);
  CHECK(ol[11].rfind("12,info@acme.io,accepted,,,role,local,", 0) == 0);

  const auto rl = lines_of(r.rejects);
  CHECK(rl[0] == "line,offset,outcome,reason,detail,raw");
  CHECK(r.rejects.find("11,") != std::string::npos);
  CHECK(r.rejects.find("too_many_fields") != std::string::npos);

  const auto outl = lines_of(r.out);
  REQUIRE(outl.size() == 3);
  CHECK(outl[0] ==
        "email,first_name,last_name,phone_number,company_name,website,location,"
        "linkedin_profile,company_url,Tier");
  CHECK(outl[1] == "ana@acme.io,Ana,,,,,,,,A");
  CHECK(outl[2] == "info@acme.io,Info,,,,,,,,");
  REQUIRE(r.rep.sets.size() == 4);  // three lists, then the deduplication map
  CHECK(r.rep.sets[3].name == "dedup");
  CHECK(r.rep.sets[3].entries == 7);  // distinct valid identity keys
  CHECK(r.rep.sets[3].bytes > 0);
}

TEST_CASE("the report is valid JSON whose outcomes add up to rows_read") {
  temp_dir d;
  cpu_options o;
  o.progress = progress_mode::off;
  o.input = d.write("leads.csv", "email\na@acme.io\nb@acme.io\nnot-an-email\n");
  run_result r = run(d, o);
  r.rep.stop_clock();
  const std::string json = r.rep.to_json();
  simdjson::dom::parser p;
  simdjson::dom::element doc = p.parse(json);
  CHECK(int64_t(doc["schema_version"]) == report_schema_version);
  CHECK(uint64_t(doc["rows_read"]) == 3);
  std::uint64_t sum = 0;
  for (auto [k, v] : simdjson::dom::object(doc["outcomes"])) sum += uint64_t(v);
  CHECK(sum == 3);
  CHECK(uint64_t(doc["outcomes"]["accepted"]) == 2);
  CHECK(uint64_t(doc["outcomes"]["blocked"]) == 0);  // listed even when zero
  CHECK(std::string_view(doc["mapping"]["fields"]["email"]) == "email");
  CHECK(std::string_view(doc["input"]["xxh3_128"]).size() == 32);
  CHECK(bool(doc["balanced"]));
}

TEST_CASE("start-up errors name the file and the problem") {
  temp_dir d;
  cpu_options o;
  o.progress = progress_mode::off;
  report rep("validate");
  o.input = d.write("noemail.csv", "Name,Company\nAna,Acme\n");
  CHECK_THROWS_WITH_AS(cpu_pipeline(o, rep), doctest::Contains("no email column"),
                       std::runtime_error);
  o.input = d.write("empty.csv", "");
  CHECK_THROWS_AS(cpu_pipeline(o, rep), std::runtime_error);
  o.input = d.file("missing.csv");
  CHECK_THROWS_AS(cpu_pipeline(o, rep), source_error);
  o.input = d.write("ok.csv", "email\na@acme.io\n");
  o.block_list = d.write("bad_list.csv", "name,company\nx,y\n");
  CHECK_THROWS_WITH_AS(cpu_pipeline(o, rep), doctest::Contains("bad_list.csv"),
                       std::runtime_error);
}

TEST_CASE("a header-only file is read as zero rows") {
  temp_dir d;
  cpu_options o;
  o.progress = progress_mode::off;
  o.input = d.write("h.csv", "email,name\n");
  run_result r = run(d, o);
  CHECK(r.rep.rows_read() == 0);
  CHECK(r.rep.balanced());
}

TEST_CASE("--keep and --drop change which risky leads are dropped") {
  temp_dir d;
  cpu_options o;
  o.progress = progress_mode::off;
  o.input = d.write("leads.csv", "email\nx@mailinator.com\ninfo@acme.io\n");
  o.drop_flags = risk::role;
  run_result r = run(d, o);
  CHECK(r.rep.outcomes()[outcome::accepted] == 1);
  CHECK(r.rep.outcomes()[outcome::dropped_risky] == 1);
  CHECK(r.outcomes.find("info@acme.io,dropped_risky,role") != std::string::npos);
}

TEST_CASE("invalid UTF-8 in other fields is repaired and counted, never in the email") {
  temp_dir d;
  cpu_options o;
  o.progress = progress_mode::off;
  o.input = d.write("leads.csv", "email,name\na@acme.io,Caf\xE9\nb\xE9@acme.io,B\n");
  run_result r = run(d, o);
  CHECK(r.rep.outcomes()[outcome::accepted] == 1);
  CHECK(r.rep.outcomes()[outcome::invalid_email] == 1);
  CHECK(r.out.find("Caf\xEF\xBF\xBD") != std::string::npos);
  CHECK(r.outcomes.find("bad_encoding") != std::string::npos);
}

// The --out writer copies cells of a record that holds no quote, CR or stray comma without
// looking for bytes to quote. A record with any of them, or another delimiter whose cells may
// hold commas, must still come out quoted.
TEST_CASE("--out quotes what needs it whatever the record around it looks like") {
  temp_dir d;
  run_result r = run(d, reading(d,
                                "email,name,note\n"
                                "a@acme.io,Ann,plain text that is long enough for two loads\n"
                                "b@acme.io,\"Bee, Jr\",x\n"
                                "c@acme.io,Cee,say \"hi\" twice\n"
                                "d@acme.io,Dee,cr\rinside\n"
                                "e@acme.io,=SUM(A1),+1 (555) 010-0199\n"));
  CHECK(r.rep.outcomes()[outcome::accepted] == 5);
  const auto out = lines_of(r.out);
  REQUIRE(out.size() == 6);
  CHECK(out[1].ends_with(",Ann,plain text that is long enough for two loads"));
  CHECK(out[2].ends_with(",\"Bee, Jr\",x"));
  CHECK(out[3].ends_with(",Cee,\"say \"\"hi\"\" twice\""));
  CHECK(out[4].ends_with(",Dee,\"cr\rinside\""));
  CHECK(out[5].ends_with(",=SUM(A1),+1 (555) 010-0199"));  // the values an import sends

  temp_dir s;
  run_result semi = run(s, reading(s, "email;name;note\na@acme.io;Ann, Jr;x\nb@acme.io;Bo;y\n"));
  const auto semi_out = lines_of(semi.out);
  REQUIRE(semi_out.size() == 3);
  CHECK(semi_out[1].ends_with(",\"Ann, Jr\",x"));
  CHECK(semi_out[2].ends_with(",Bo,y"));
}

TEST_CASE("provider folding merges gmail aliases only when asked") {
  temp_dir d;
  cpu_options o;
  o.progress = progress_mode::off;
  o.input = d.write("leads.csv", "email\nj.o.h.n+news@gmail.com\njohn@gmail.com\n");
  CHECK(run(d, o).rep.outcomes()[outcome::duplicate_in_file] == 0);
  o.email.fold_provider_aliases = true;
  CHECK(run(d, o).rep.outcomes()[outcome::duplicate_in_file] == 1);
}

TEST_CASE("repaired encoding is counted on every row, the ones not accepted too") {
  temp_dir d;
  // Accepted, duplicate, invalid email and accepted again: the first three each have a field to
  // repair, and the two that are not accepted must be counted as well.
  run_result r = run(d, reading(d, "email,name\na@acme.io,Caf\xE9\nA@acme.io,Caf\xE9\n"
                                   "not-an-email,X\xE9\nb@acme.io,ok\n"));
  CHECK(r.rep.outcomes()[outcome::accepted] == 2);
  CHECK(r.rep.outcomes()[outcome::duplicate_in_file] == 1);
  CHECK(r.rep.outcomes()[outcome::invalid_email] == 1);
  CHECK(r.rep.to_json().find("\"repaired_encoding\":3") != std::string::npos);
}

TEST_CASE("a NUL byte in a field is repaired in --out, --rejects and the count") {
  temp_dir d;
  using namespace std::string_view_literals;
  // Short and long rows (the record check works 16 bytes at a time from 16 bytes on).
  const std::string text = std::string(
      "email,first name,note\na@acme.io,An\0n,x\n"
      "b@acme.io,Bo,a long enough note that crosses\0 sixteen\n"
      "c@acme.io,Cy,plain\nbad,N\0,y\n"sv);
  run_result r = run(d, reading(d, text));
  CHECK(r.rep.outcomes()[outcome::accepted] == 3);
  CHECK(r.rep.outcomes()[outcome::invalid_email] == 1);
  CHECK(r.rep.to_json().find("\"repaired_encoding\":3") != std::string::npos);
  CHECK(r.out.find('\0') == std::string::npos);
  CHECK(r.out.find("An\xEF\xBF\xBDn") != std::string::npos);
  CHECK(r.out.find("crosses\xEF\xBF\xBD sixteen") != std::string::npos);
  CHECK(r.out.find("c@acme.io,Cy,") != std::string::npos);
  CHECK(r.rejects.find('\0') == std::string::npos);
  CHECK(r.rejects.find("bad,N\xEF\xBF\xBD,y") != std::string::npos);
}

// A stray quote makes one row of the rows after it (RFC 4180 says so): the run says where.
TEST_CASE(
    "a quoted cell spanning 100 lines or more, or a quote never closed, is named in a warning") {
  temp_dir d;
  std::string pair = "email,title\na@acme.io,x\n";
  for (int i = 0; i < 150; ++i) {
    pair += "r" + std::to_string(i) + "@acme.io," +
            (i == 0     ? "\"Sales"
             : i == 149 ? "VP\""
                        : "T") +
            "\n";
  }
  run_result r = run(d, reading(d, pair));
  CHECK(r.rep.rows_read() == 2);
  const auto has = [&](const run_result& x, std::string_view text) {
    return std::any_of(x.rep.warnings.begin(), x.rep.warnings.end(),
                       [&](const std::string& w) { return w.find(text) != std::string::npos; });
  };
  CHECK(has(r, ":3: 1 row span 100 lines or more (this one: lines 3-152, 150 lines)"));
  std::string open = "email,title\na@acme.io,\"never closed\n";
  for (int i = 0; i < 120; ++i) open += "r" + std::to_string(i) + "@acme.io,T\n";
  run_result u = run(d, reading(d, open));
  // Only its own line is lost; the 120 rows after it are read.
  CHECK(u.rep.outcomes()[outcome::malformed_row] == 1);
  CHECK(u.rep.outcomes()[outcome::accepted] == 120);
  CHECK(has(u, ":2: 1 row open a quote that never closes, or that a quote with text after it "
               "closes lines later (this is the first)"));
  // Ordinary multi-line cells say nothing.
  run_result ok = run(d, reading(d, "email,note\na@acme.io,\"two\nlines\"\n"));
  CHECK_FALSE(has(ok, "span"));
}

TEST_CASE("a lead with more than 200 filled custom fields keeps the first 200, with a warning") {
  temp_dir d;
  std::string header = "email";
  std::string full = "a@acme.io";
  std::string sparse = "b@acme.io";
  for (int i = 0; i < 203; ++i) {
    header += ",c" + std::to_string(i);
    full += ",v";
    sparse += i == 202 ? ",w" : ",";
  }
  run_result r = run(d, reading(d, header + "\n" + full + "\n" + sparse + "\n"));
  CHECK(r.rep.outcomes()[outcome::accepted] == 2);
  CHECK(std::any_of(r.rep.warnings.begin(), r.rep.warnings.end(), [](const std::string& w) {
    return w.find(":2: 1 lead had more than 200 non-empty custom fields") != std::string::npos;
  }));
  const auto out = lines_of(r.out);
  REQUIRE(out.size() == 3);
  CHECK(out[2].ends_with(",w"));  // the 203rd column, the one cell of a sparse lead, is kept
}

TEST_CASE("--out writes the custom_fields column's members back as one object") {
  temp_dir d;
  const std::string csv =
      "email,Title,custom_fields\n"
      "a@acme.io,CEO,\"{\"\"role\"\":\"\"CFO\"\",\"\"n\"\":3,\"\"x\"\":null}\"\n"
      "b@acme.io,,\n"
      "c@acme.io,,not json\n";
  run_result r = run(d, reading(d, csv));
  CHECK(r.rep.outcomes()[outcome::accepted] == 3);
  const auto out = lines_of(r.out);
  REQUIRE(out.size() == 4);
  CHECK(out[0].ends_with(",Title,custom_fields"));
  CHECK(out[1].ends_with(",CEO,\"{\"\"role\"\":\"\"CFO\"\",\"\"n\"\":\"\"3\"\"}\""));
  CHECK(out[2].ends_with(",,"));
  CHECK(out[3].ends_with(",,not json"));
  CHECK(std::any_of(r.rep.warnings.begin(), r.rep.warnings.end(), [](const std::string& w) {
    return w.find(":4: 1 lead had a 'custom_fields' cell that is not a JSON object") !=
           std::string::npos;
  }));
  // Read again, --out gives itself: the object is what the next import unpacks.
  temp_dir d2;
  run_result again = run(d2, reading(d2, r.out));
  CHECK(again.out == r.out);
}

TEST_CASE("a campaign export's guarded cells are read without the guard") {
  temp_dir d;
  const std::string csv =
      "campaign_lead_map_id,lead_id,email,first_name,company_name,custom_fields\n"
      "1,2,\"'-ann@rt2-test.com\",Ann,\"'@Handle Corp\",\n"
      "3,4,bo@rt2-test.com,\"'Bo\",Acme,\n";
  run_result r = run(d, reading(d, csv));
  CHECK(r.rep.outcomes()[outcome::accepted] == 2);
  const auto out = lines_of(r.out);
  REQUIRE(out.size() == 3);
  CHECK(out[1].starts_with("-ann@rt2-test.com,Ann,,,@Handle Corp,"));
  CHECK(out[2].starts_with("bo@rt2-test.com,'Bo,"));  // no formula after it: data
  // is_unsubscribed true: skipped as the server would; SmartLead's activity columns are left.
  temp_dir d3;
  run_result u = run(d3, reading(d3, "campaign_lead_map_id,email,is_unsubscribed,open_count\n"
                                     "1,a@rt2-test.com,true,3\n2,b@rt2-test.com,false,0\n"));
  CHECK(u.rep.outcomes()[outcome::unsubscribed] == 1);
  CHECK(u.rep.outcomes()[outcome::accepted] == 1);
  CHECK(lines_of(u.outcomes).at(1).find("unsubscribed,is_unsubscribed is true in the input") !=
        std::string::npos);
  CHECK(lines_of(u.out).at(0).find("open_count") == std::string::npos);
  // Any other file keeps its cells as they are: the email policy judges "'-ann@..." itself.
  temp_dir d2;
  run_result plain = run(d2, reading(d2, "email,company\n\"'-ann@rt2-test.com\",\"'@Handle\"\n"));
  CHECK(lines_of(plain.out).at(1) == "'-ann@rt2-test.com,,,,'@Handle,,,,");
}

TEST_CASE("Apollo's stand-in for a locked address is named in a warning") {
  temp_dir d;
  run_result r = run(d, reading(d, "Email,First Name\nok@acme.io,A\nemail_not_unlocked@domain.com,B\n"
                                   "Email_Not_Unlocked@domain.com,C\n"));
  CHECK(r.rep.outcomes()[outcome::duplicate_in_file] == 1);
  CHECK(std::any_of(r.rep.warnings.begin(), r.rep.warnings.end(), [](const std::string& w) {
    return w.find(":3: 2 rows hold email_not_unlocked@domain.com, which Apollo writes") !=
           std::string::npos;
  }));
}

TEST_CASE("a report's footer of one-cell rows at the end is named in a warning") {
  temp_dir d;
  const std::string body =
      "\"First Name\",\"Email\",\"Account Name\"\n\"Ann\",\"ann@acme.io\",\"Acme\"\n";
  const std::string footer =
      "\"\"\n\"Grand Totals (1 records)\"\n\"\"\n\"Copyright (c) 2000-2024 salesforce.com, inc.\"\n";
  const auto footer_warning = [](const run_result& r) {
    return std::count_if(r.rep.warnings.begin(), r.rep.warnings.end(), [](const std::string& w) {
      return w.find("hold one cell each and no address, like the footer") != std::string::npos;
    });
  };
  run_result r = run(d, reading(d, body + footer));
  CHECK(r.rep.outcomes()[outcome::malformed_row] == 4);
  CHECK(footer_warning(r) == 1);
  CHECK(std::any_of(r.rep.warnings.begin(), r.rep.warnings.end(), [](const std::string& w) {
    return w.find(":3: the last 4 rows (lines 3-6)") != std::string::npos;
  }));
  // Not at the end, a single one, or holding an address: no footer.
  temp_dir d2;
  CHECK(footer_warning(run(d2, reading(d2, body + footer + "\"Bo\",\"bo@acme.io\",\"B\"\n"))) == 0);
  temp_dir d3;
  CHECK(footer_warning(run(d3, reading(d3, body + "\"Total\"\n"))) == 0);
  temp_dir d4;
  CHECK(footer_warning(run(d4, reading(d4, body + "x@acme.io\ny@acme.io\n"))) == 0);
}

TEST_CASE("a cell the repairs empty is invalid (no_address); a blank one is missing") {
  temp_dir d;
  run_result r = run(d, reading(d,
                                "email,n\n\"Ann Lee <>\",1\n\"''\",2\nmailto:,3\n,4\n"
                                " \xE2\x80\x8B ,5\n"));
  CHECK(r.rep.outcomes()[outcome::invalid_email] == 3);
  CHECK(r.rep.outcomes()[outcome::missing_email] == 2);
  CHECK(r.outcomes.find("Ann Lee <>,invalid_email,no_address,") != std::string::npos);
}

// Rows are handled in batches with their dedup and filter probes prefetched, and the dedup map is
// sized once after 65,536 rows: across batches and past that point the first row still wins,
// each duplicate names it, and the map is not doubled near the end.
TEST_CASE("duplicates across batches name the first line; the dedup map is sized once") {
  temp_dir d;
  std::string text = "email,name\n";
  constexpr int rows = 100000;
  for (int i = 0; i < rows; ++i) {
    const int who = i % 1000 == 999 ? i - 500 : i;  // every 1000th row repeats one 500 back
    text += "p" + std::to_string(who) + "@co" + std::to_string(who % 97) + ".com,N\n";
  }
  run_result r = run(d, reading(d, text));
  CHECK(r.rep.outcomes()[outcome::accepted] == rows - rows / 1000);
  CHECK(r.rep.outcomes()[outcome::duplicate_in_file] == rows / 1000);
  // Row i sits on line i + 2; the last duplicate (row 99999) repeats row 99499.
  CHECK(r.rejects.find("100001,") != std::string::npos);
  CHECK(r.rejects.find("duplicate of line 99501") != std::string::npos);
  CHECK(r.rejects.find("duplicate of line 501,") != std::string::npos);
  std::uint64_t dedup_bytes = 0;
  for (const auto& s : r.rep.sets) {
    if (s.name == "dedup") dedup_bytes = s.bytes;
  }
  // Sized for about 1.05 x 100,000 rows at a load of 0.8 in 3-slot, 64-byte buckets (2.8 MB);
  // a doubling near the end would have left twice that.
  CHECK(dedup_bytes >= rows / 3 * 64);
  CHECK(dedup_bytes < 100000 * 105 / 100 * 5 / 4 / 3 * 64 * 11 / 10);
}

namespace {

// Hands every lead to a csv_lead_writer, saying reads_cells() as told, and counts the leads that
// came without a lead_view.
class writer_probe final : public lead_sink {
 public:
  writer_probe(csv_lead_writer& w, bool cells) : w_(w), cells_(cells) {}
  void accept(const accepted_lead& a) override {
    if (a.lead == nullptr) ++unmapped;
    w_.accept(a);
  }
  [[nodiscard]] bool reads_cells() const noexcept override { return cells_; }
  std::uint64_t unmapped = 0;

 private:
  csv_lead_writer& w_;
  bool cells_;
};

}  // namespace

// --out is written from a clean row's cells without mapping them into a lead_view; the line must
// be byte for byte what the lead_view path writes: trimmed cells, lead fields in their order,
// custom fields after them, the same quoting.
TEST_CASE("--out from a row's cells equals --out from its lead_view") {
  temp_dir d;
  cpu_options o;
  o.progress = progress_mode::off;
  o.input = d.write("leads.csv",
                    "Notes,Company Name,Email,Tier,First Name,City,Blank,Mobile Phone\n"
                    "n1,Acme,ana@acme.io,A,Ana,Paris,,+1 555\n"
                    "  spaced  ,\"Acme, Inc\",bo@acme.io,\"B \"\"x\"\"\",Bo, Lyon ,  ,\n"
                    "\"two\nlines\",Büro,cy@acme.io,,Cy,Zürich,\t,'123\n"
                    "=1+2,-x,di@acme.io,@t,+D,Köln,z,-\n"
                    "bad\xff,Acme,ed@acme.io,E,Ed,Rome,,\n"
                    "cr\r,Acme,fi@acme.io,F,Fi,Oslo,,\n");
  std::string want;
  std::string got;
  for (const bool cells : {false, true}) {
    report rep{"validate"};
    cpu_pipeline pipe(o, rep);
    outcome_files files(d.file("outcomes.csv"), d.file("rejects.csv"));
    csv_lead_writer out(d.file("out.csv"), pipe.mapping());
    writer_probe probe(out, cells);
    file_outcome_sink sink(files, rep);
    pipe.run(probe, sink, rep);
    files.close();
    out.close();
    CHECK(rep.outcomes()[outcome::accepted] == 6);
    // Every row but the one with a byte that is not UTF-8 skips the lead_view when it may.
    CHECK(probe.unmapped == (cells ? 5U : 0U));
    (cells ? got : want) = slurp(d.file("out.csv"));
  }
  CHECK(got == want);
  CHECK(want.find("\nana@acme.io,Ana,,+1 555,Acme,,Paris,,,n1,A,\n") != std::string::npos);
  CHECK(want.find("\ncy@acme.io,Cy,,123,Büro,") != std::string::npos);  // Apollo's ' is gone
  CHECK(want.find("\nbo@acme.io,Bo,,,\"Acme, Inc\",,Lyon,,,spaced,\"B \"\"x\"\"\",\n") !=
        std::string::npos);
}
