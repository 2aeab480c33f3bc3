// Hostile inputs through the real `leadpipe validate`: each gives a clear outcome (an exit code
// and a message naming the file, or rows accounted as malformed), never a crash or a hang.
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include <doctest/doctest.h>
#include <zlib.h>

namespace fs = std::filesystem;

namespace {

struct result {
  int rc = -1;
  std::string log;
  std::string report;
};

fs::path dir() {
  static const fs::path d = [] {
    auto p = fs::temp_directory_path() / ("leadpipe_hostile_" + std::to_string(::getpid()));
    fs::create_directories(p);
    return p;
  }();
  return d;
}

// Removes the scratch directory when the test program ends.
struct scratch_cleanup {
  scratch_cleanup() { (void)dir(); }  // so that dir()'s static outlives this object
  ~scratch_cleanup() {
    std::error_code ec;
    fs::remove_all(dir(), ec);
  }
} const g_cleanup;

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

result validate(const fs::path& input, const std::string& extra = "") {
  const fs::path log = dir() / "log.txt";
  const fs::path rep = dir() / "report.json";
  fs::remove(rep);
  const std::string cmd = "timeout 120 " LEADPIPE_BINARY_DIR "/pipeline/cli/leadpipe validate '" +
                          input.string() + "' --report '" + rep.string() + "' --outcomes '" +
                          (dir() / "outcomes.csv").string() + "' " + extra + " >'" +
                          log.string() + "' 2>&1";
  const int status = std::system(cmd.c_str());
  result r;
  r.rc = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.log = slurp(log);
  r.report = fs::exists(rep) ? slurp(rep) : "";
  return r;
}

fs::path write(const std::string& name, const std::string& bytes) {
  const fs::path p = dir() / name;
  std::ofstream(p, std::ios::binary) << bytes;
  return p;
}

}  // namespace

TEST_CASE("random bytes: a clear error, no crash") {
  std::mt19937_64 rng(42);
  std::string bytes(1 << 20, '\0');
  for (auto& c : bytes) c = static_cast<char>(rng());
  const auto r = validate(write("random.bin", bytes));
  CHECK(r.rc == 3);
  CHECK(r.log.find("random.bin") != std::string::npos);
}

TEST_CASE("a NUL byte inside a field is data, and the row is accounted") {
  std::string text = "email,name\na@acme.io,an";
  text.push_back('\0');
  text += "a\nb@acme.io,bob\n";
  const auto r = validate(write("nul.csv", text));
  CHECK(r.rc == 0);
  CHECK(r.report.find("\"rows_read\":2") != std::string::npos);
  CHECK(r.report.find("\"accepted\":2") != std::string::npos);
}

TEST_CASE("a 100 MB single field is rejected as one malformed row and the run goes on") {
  std::string text = "email,notes\na@acme.io,\"";
  text.append(100u << 20, 'x');
  text += "\"\nb@acme.io,ok\n";
  const auto r = validate(write("huge_field.csv", text));
  CHECK(r.rc == 0);
  CHECK(r.report.find("\"malformed_row\":1") != std::string::npos);
  CHECK(r.report.find("\"accepted\":1") != std::string::npos);
}

TEST_CASE("a million columns: a clear error naming the file") {
  std::string header = "email";
  for (int i = 0; i < 1'000'000; ++i) header += ",c" + std::to_string(i);
  const auto r = validate(write("wide.csv", header + "\na@acme.io\n"));
  CHECK(r.rc == 3);
  CHECK(r.log.find("wide.csv") != std::string::npos);
}

TEST_CASE("invalid and truncated gzip: a clear error") {
  std::string bad = "\x1f\x8b\x08\x00garbage-not-deflate";
  auto r = validate(write("bad.csv.gz", bad));
  CHECK(r.rc == 3);
  CHECK(r.log.find("bad.csv.gz") != std::string::npos);
  // A real gzip stream cut in half.
  const std::string plain = "email\n" + std::string(100000, 'a') + "@acme.io\n";
  std::string gz(compressBound(static_cast<uLong>(plain.size())) + 64, '\0');
  z_stream z{};
  REQUIRE(deflateInit2(&z, 6, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY) == Z_OK);
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(plain.data()));
  z.avail_in = static_cast<uInt>(plain.size());
  z.next_out = reinterpret_cast<Bytef*>(gz.data());
  z.avail_out = static_cast<uInt>(gz.size());
  REQUIRE(deflate(&z, Z_FINISH) == Z_STREAM_END);
  gz.resize(z.total_out);
  deflateEnd(&z);
  r = validate(write("cut.csv.gz", gz.substr(0, gz.size() / 2)));
  CHECK(r.rc == 3);
  CHECK(r.log.find("cut.csv.gz") != std::string::npos);
}

TEST_CASE("input ending inside a quoted field: that row is malformed, the rest accounted") {
  const auto r = validate(write("cut.csv", "email,notes\na@acme.io,fine\nb@acme.io,\"never closed\n"));
  CHECK(r.rc == 0);
  CHECK(r.report.find("\"rows_read\":2") != std::string::npos);
  CHECK(r.report.find("\"malformed_row\":1") != std::string::npos);
}

TEST_CASE("empty, header-only, unreadable and email-less inputs") {
  auto r = validate(write("empty.csv", ""));
  CHECK(r.rc == 3);
  CHECK(r.log.find("empty.csv") != std::string::npos);
  // A run that cannot start still leaves a report for the nightly job that parses it.
  CHECK(r.report.find("\"exit_code\":3") != std::string::npos);
  CHECK(r.report.find("\"stop_reason\":\"") != std::string::npos);
  CHECK(r.report.find("empty input") != std::string::npos);
  r = validate(write("header.csv", "email,name\n"));
  CHECK(r.rc == 0);
  CHECK(r.report.find("\"rows_read\":0") != std::string::npos);
  r = validate(dir() / "does-not-exist.csv");
  CHECK(r.rc == 3);
  CHECK(r.log.find("does-not-exist.csv") != std::string::npos);
  r = validate(write("noemail.csv", "name,company\nAna,Acme\n"));
  CHECK(r.rc == 3);
  CHECK(r.log.find("no email column") != std::string::npos);
  // The report of a run that could not start still names the input it was given, and has the
  // shape of every other run's (mapping.fields, nothing mapped).
  CHECK(r.report.find("noemail.csv\",\"size\":22") != std::string::npos);
  CHECK(r.report.find("\"mapping\":{\"fields\":{\"email\":null,") != std::string::npos);
}

TEST_CASE("bad flags are usage errors") {
  auto r = validate(write("ok.csv", "email\na@acme.io\n"), "--delimiter x");
  CHECK(r.rc == 2);
  r = validate(write("ok.csv", "email\na@acme.io\n"), "--drop nonsense");
  CHECK(r.rc == 2);
  // --drop and --keep repeat like --map; one flag in both is a contradiction, not a choice.
  r = validate(write("ok.csv", "email\ninfo@acme.io\n"), "--drop role --drop typo");
  CHECK(r.rc == 0);
  CHECK(r.report.find("\"dropped_risky\":1") != std::string::npos);
  r = validate(write("ok.csv", "email\na@acme.io\n"), "--drop role --keep typo,role");
  CHECK(r.rc == 2);
  CHECK(r.log.find("role is given to both --drop and --keep") != std::string::npos);
  // An import whose server cannot be reached: exit 3, and its report has a network section.
  {
    const fs::path rep = dir() / "import-report.json";
    const int status = std::system(
        ("SMARTLEAD_API_KEY=k " LEADPIPE_BINARY_DIR "/pipeline/cli/leadpipe import '" +
         write("ok.csv", "email\na@acme.io\n").string() +
         "' --campaign 7 --base-url http://127.0.0.1:9/api/v1 --no-journal --no-progress "
         "--cache-dir '" +
         (dir() / "cache").string() + "' --report '" + rep.string() + "' >/dev/null 2>&1")
            .c_str());
    CHECK(WEXITSTATUS(status) == 3);
    const std::string report = slurp(rep);
    CHECK(
        report.find("\"network\":{\"base_url\":\"http://127.0.0.1:9/api/v1\",\"campaign_id\":7") !=
        std::string::npos);
    CHECK(report.find("\"mapping\":{\"fields\":{") != std::string::npos);
  }
  // An import that could never be resumed: refused before anything starts (no server needed).
  const fs::path log = dir() / "import-log.txt";
  const std::string lp = LEADPIPE_BINARY_DIR "/pipeline/cli/leadpipe import ";
  const std::string api = " --campaign 1 --base-url http://127.0.0.1:9/api/v1 --resume";
  for (const std::string& cmd :
       {"echo email | " + lp + "-" + api,
        lp + "'" + write("ok.csv", "email\na@acme.io\n").string() + "'" + api + " --no-journal"}) {
    CAPTURE(cmd);
    const int status =
        std::system(("SMARTLEAD_API_KEY=k " + cmd + " >'" + log.string() + "' 2>&1").c_str());
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 2);
    CHECK(slurp(log).find("--resume") != std::string::npos);
  }
}

TEST_CASE("a classic Mac export (lines end with CR only) is read row by row, with a warning") {
  const auto r = validate(write("mac.csv", "Email,First Name\rann@acme.io,Ann\rbob@acme.io,\"Bob\rJr\"\r"));
  CHECK(r.rc == 0);
  CHECK(r.report.find("\"rows_read\":2") != std::string::npos);
  CHECK(r.report.find("\"accepted\":2") != std::string::npos);
  CHECK(r.report.find("lone CR") != std::string::npos);
  CHECK(r.log.find("lone CR") != std::string::npos);
}

TEST_CASE("a windows-1252 export read as UTF-8 says how many rows were repaired and what to do") {
  // "Müller" and curly quotes in windows-1252; the email cells are ASCII.
  const std::string text = "email;last name;notes\r\nann@acme.io;M\xFCller;said \x93hi\x94\r\n"
                           "bob@acme.io;Lee;plain\r\n";
  auto r = validate(write("cp1252.csv", text));
  CHECK(r.rc == 0);
  CHECK(r.report.find("\"repaired_encoding\":1") != std::string::npos);
  CHECK(r.report.find("--encoding windows-1252") != std::string::npos);
  CHECK(r.log.find("repaired_encoding") != std::string::npos);
  for (const char* flag : {"--encoding windows-1252", "--encoding auto"}) {
    CAPTURE(flag);
    r = validate(write("cp1252.csv", text), flag);
    CHECK(r.rc == 0);
    CHECK(r.report.find("\"repaired_encoding\":0") != std::string::npos);
    CHECK(r.report.find("\"accepted\":2") != std::string::npos);
    CHECK(r.report.find("\"encoding\":\"windows-1252\"") != std::string::npos);
  }
  CHECK(r.log.find("cp1252.csv: read as windows-1252 (--encoding auto, from the first MiB)") !=
        std::string::npos);
}

TEST_CASE("export shapes: Excel's sep= line, CR CR LF endings, Mac Roman, padded header names") {
  const fs::path out = dir() / "out.csv";
  const std::string keep = " --out '" + out.string() + "'";
  // Excel's delimiter hint: not the header, and the header is line 2.
  auto r = validate(write("sep.csv", "sep=;\r\nEmail;Name\r\nann@acme.io;Lee, Ann\r\n"), keep);
  CHECK(r.rc == 0);
  CHECK(r.report.find("\"accepted\":1") != std::string::npos);
  CHECK(slurp(dir() / "outcomes.csv").find("\n3,ann@acme.io,accepted") != std::string::npos);
  CHECK(slurp(out).find("\"Lee, Ann\"") != std::string::npos);
  // A CRLF file converted once more: rows on their own line numbers, no Mac warning.
  r = validate(write("crcr.csv", "Email,Name\r\r\nann@acme.io,Ann\r\r\nbob@acme.io,Bob\r\r\n"));
  CHECK(r.rc == 0);
  CHECK(r.report.find("\"accepted\":2") != std::string::npos);
  CHECK(r.report.find("lone CR") == std::string::npos);
  CHECK(slurp(dir() / "outcomes.csv").find("\n3,bob@acme.io,accepted") != std::string::npos);
  // Excel's "CSV (Macintosh)": Mac Roman and lone CRs; --encoding auto reads José.
  r = validate(write("macroman.csv", "Email,Name\rjose@acme.io,Jos\x8E\r"),
               "--encoding auto" + keep);
  CHECK(r.rc == 0);
  CHECK(r.report.find("\"encoding\":\"macintosh\"") != std::string::npos);
  CHECK(slurp(out).find("Jos\xC3\xA9") != std::string::npos);
  // Header names padded with blanks give clean custom-field keys.
  r = validate(write("padded.csv", "Email, Title \nann@acme.io, CEO \n"), keep);
  CHECK(r.rc == 0);
  CHECK(slurp(out).starts_with(
      "email,first_name,last_name,phone_number,company_name,website,location,linkedin_profile,"
      "company_url,Title\nann@acme.io,,,,,,,,,CEO\n"));
}

TEST_CASE("UTF-16 without a byte-order mark: the error says what the file looks like") {
  const std::string text = "Email,Name\r\nann@acme.io,Ann\r\n";
  std::string u16;
  for (const char c : text) {
    u16.push_back(c);
    u16.push_back('\0');
  }
  auto r = validate(write("u16.csv", u16));
  CHECK(r.rc == 3);
  CHECK(r.log.find("--encoding auto (or utf-16le, utf-16be)") != std::string::npos);
  for (const char* flag : {"--encoding utf-16le", "--encoding auto"}) {
    CAPTURE(flag);
    r = validate(write("u16.csv", u16), flag);
    CHECK(r.rc == 0);
    CHECK(r.report.find("\"accepted\":1") != std::string::npos);
    CHECK(r.report.find("\"encoding\":\"utf-16le\"") != std::string::npos);
  }
}

// One slip of the keyboard (--out leads.csv for leads.csv) must not replace the user's export,
// a list, or another output: such a run is refused before anything is read or written.
TEST_CASE("an output that names the input, a list or another output is refused") {
  const std::string original = "Email,Name\nann@acme.io,Ann\nbad,B\n";
  const fs::path in = write("victim.csv", original);
  const fs::path list = write("victim-block.txt", "x@acme.io\n");
  const auto q = [](const fs::path& p) { return "'" + p.string() + "'"; };
  for (const std::string& extra : {"--out " + q(in), "--out " + q(dir() / "." / "victim.csv"),
                                   "--rejects " + q(list) + " --block-list " + q(list),
                                   "--out " + q(dir() / "outcomes.csv")}) {
    CAPTURE(extra);
    const auto r = validate(in, extra);
    CHECK(r.rc == 2);
    CHECK((r.log.find("needs a path of its own") != std::string::npos ||
           r.log.find("writing it would replace it") != std::string::npos));
    CHECK(slurp(in) == original);
    CHECK(slurp(list) == "x@acme.io\n");
  }
}

// A run that stops part-way (a gzip cut short) leaves what it wrote of --out under .tmp and
// does not replace the complete file an earlier run left.
TEST_CASE("a run that stops part-way keeps the earlier --out and leaves its own as .tmp") {
  const fs::path out = dir() / "clean.csv";
  std::ofstream(out) << "yesterday\n";
  std::string rows = "email\n";
  for (int i = 0; i < 20000; ++i) rows += "person" + std::to_string(i) + "@acme.io\n";
  const fs::path gzpath = dir() / "cut-rows.csv.gz";
  gzFile g = gzopen(gzpath.string().c_str(), "wb");
  REQUIRE(g != nullptr);
  gzwrite(g, rows.data(), static_cast<unsigned>(rows.size()));
  gzclose(g);
  const std::string whole = slurp(gzpath);
  std::ofstream(gzpath, std::ios::binary) << whole.substr(0, whole.size() / 2);
  const auto r = validate(gzpath, "--out '" + out.string() + "'");
  CHECK(r.rc == 3);
  CHECK(slurp(out) == "yesterday\n");
  CHECK(fs::exists(out.string() + ".tmp"));
}

// A windows-1252 header or email cell read as UTF-8: the header name is repaired and the run
// says what to do; no output holds bytes that are not UTF-8.
TEST_CASE("non-UTF-8 bytes in the header or an email cell: repaired in the outputs, with advice") {
  const fs::path out = dir() / "out.csv";
  const fs::path rejects = dir() / "rejects.csv";
  const auto r = validate(write("cp1252-header.csv",
                                "Email,Soci\xE9t\xE9\njos\xE9@acme.io,A\n"
                                "bob@acme.io,B\n"),
                          "--out '" + out.string() + "' --rejects '" + rejects.string() + "'");
  CHECK(r.rc == 0);
  CHECK(r.report.find("\"invalid_email\":1") != std::string::npos);
  CHECK(r.log.find("header names held bytes that are not UTF-8") != std::string::npos);
  CHECK(r.log.find("1 rows held bytes that are not UTF-8") != std::string::npos);
  CHECK(r.log.find("--encoding windows-1252") != std::string::npos);
  CHECK(slurp(out).find("Soci\xEF\xBF\xBDt\xEF\xBF\xBD") != std::string::npos);
  CHECK(slurp(dir() / "outcomes.csv").find("jos\xEF\xBF\xBD@acme.io,invalid_email,bad_encoding") !=
        std::string::npos);
  for (const fs::path& p : {out, rejects, dir() / "outcomes.csv"}) {
    const std::string text = slurp(p);
    CAPTURE(p);
    CHECK(text.find('\xE9') == std::string::npos);
  }
}

// Headers copied from web pages carry no-break and zero-width spaces; they name the same column.
TEST_CASE("no-break and zero-width spaces in header names do not hide a column") {
  const fs::path out = dir() / "out.csv";
  auto r = validate(write("nbsp.csv",
                          "Email\xC2\xA0,First\xC2\xA0Name,Company\xE2\x80\x8B,"
                          "\xE2\x80\x8BTitle\nann@acme.io,Ann,Acme,CEO\n"),
                    "--out '" + out.string() + "'");
  CHECK(r.rc == 0);
  CHECK(slurp(out) ==
        "email,first_name,last_name,phone_number,company_name,website,location,linkedin_profile,"
        "company_url,Title\nann@acme.io,Ann,,,Acme,,,,,CEO\n");
  r = validate(write("nbsp2.csv", "Mail\xC2\xA0\nann@acme.io\n"), "--map email=Mail");
  CHECK(r.rc == 0);
}

// --out holds the values an import sends, byte for byte: stage 4 allows + - = at the start of a
// local part (a formula mark would make it another address), and a mark in another cell would
// become data when --out is imported. Fed back into validate it gives the same leads. The
// files meant for a spreadsheet (--rejects) are the neutralised ones.
TEST_CASE("--out writes every value exactly as sent, even when it starts like a formula") {
  const fs::path out = dir() / "out.csv";
  const fs::path again = dir() / "again.csv";
  const auto r =
      validate(write("formula-email.csv",
                     "Email,Phone,Notes\n+a@acme.io,-,=1+1\n"
                     "-b@acme.io,x,\"-3,5\"\n=bad,x,y\n"),
               "--out '" + out.string() + "' --rejects '" + (dir() / "rej.csv").string() + "'");
  CHECK(r.rc == 0);
  const std::string text = slurp(out);
  CHECK(text.find("\n+a@acme.io,,,-,,,,,,=1+1\n") != std::string::npos);
  CHECK(text.find("\n-b@acme.io,,,x,,,,,,\"-3,5\"\n") != std::string::npos);
  CHECK(slurp(dir() / "rej.csv").find("'=bad,x,y") != std::string::npos);
  const auto round = validate(out, "--out '" + again.string() + "'");
  CHECK(round.rc == 0);
  CHECK(slurp(again) == text);
}

// Spreadsheets leave lines of spaces, cells of one space past the last column, and unnamed last
// columns with data in them: no lead is lost to any of them.
TEST_CASE("blank-looking lines and cells, and an unnamed last column, lose no row") {
  auto r = validate(write("spaces.csv", "Email,Name\nann@acme.io,A\n   \nbob@acme.io,B, \n"));
  CHECK(r.rc == 0);
  CHECK(r.report.find("\"accepted\":2") != std::string::npos);
  CHECK(r.report.find("\"blank_lines\":1") != std::string::npos);
  r = validate(write("unnamed.csv", "email,name,\nann@acme.io,A,\nbob@acme.io,B,x\n"));
  CHECK(r.rc == 0);
  CHECK(r.report.find("\"accepted\":2") != std::string::npos);
  CHECK(r.log.find("1 cells under the header's unnamed last column were ignored") !=
        std::string::npos);
}

// A lone CR inside an LF or CRLF file is data, but a spreadsheet would break the row there: the
// run says so. A header split at the wrong delimiter shows how it was split.
TEST_CASE("a lone CR mid-file and a wrongly split header are pointed out") {
  auto r =
      validate(write("lone-cr.csv", "email,name\r\na1@acme.io,A\na2@acme.io,B\ra3@acme.io,C\r\n"));
  CHECK(r.rc == 0);
  CHECK(r.report.find("\"malformed_row\":1") != std::string::npos);
  CHECK(r.log.find("1 rows hold a CR that is not part of a line ending") != std::string::npos);
  // Split at ',' this header has three columns and no email one; at ';' it has three too, and
  // the email column: ';' is chosen.
  const fs::path tie =
      write("tie.csv", "Email;Company, Inc;Revenue (EUR, net)\na@acme.io;Acme, Inc;1,5\n");
  r = validate(tie);
  CHECK(r.rc == 0);
  CHECK(r.report.find("\"delimiter\":\";\"") != std::string::npos);
  r = validate(tie, "--delimiter ,");
  CHECK(r.rc == 3);
  CHECK(
      r.log.find("split at ',', gives 3 columns: 'Email;Company', ' Inc;Revenue (EUR', ' net)'") !=
      std::string::npos);
}

// A row the reader cannot split (too long, or a quote that never closes) is malformed, but its
// outcome line still names the address, so the user knows which lead was lost.
TEST_CASE("malformed rows that could not be split still name their email in --outcomes") {
  const std::string text = "Name,Email,Notes\nAnn,ann@acme.io,\"" + std::string(3000, 'x') +
                           "\"\n\"Bo, Jr\",\"bo@acme.io\"," + std::string(3000, 'y') +
                           "\nCy,cy@acme.io,ok\nDee,dee@acme.io,\"never closed\n";
  const auto r = validate(write("too-long.csv", text), "--max-record-bytes 1000");
  CHECK(r.rc == 0);
  CHECK(r.report.find("\"malformed_row\":3") != std::string::npos);
  const std::string outcomes = slurp(dir() / "outcomes.csv");
  CHECK(outcomes.find("\n2,ann@acme.io,malformed_row,record_too_long") != std::string::npos);
  CHECK(outcomes.find("\n3,bo@acme.io,malformed_row,record_too_long") != std::string::npos);
  CHECK(outcomes.find("\n4,cy@acme.io,accepted") != std::string::npos);
  CHECK(outcomes.find("\n5,dee@acme.io,malformed_row,unterminated_quote") != std::string::npos);
}

// `--out - | head -c 10`: the reader goes away. SIGPIPE is ignored, so the write fails with EPIPE
// like any other output error: a message naming standard output, exit 3, the report written and
// the outcome lines of the rows read so far flushed, instead of a silent death by the signal.
TEST_CASE("a reader of --out - that goes away: exit 3, a message, a report and outcomes") {
  std::string text = "Email,First Name\n";
  for (int i = 0; i < 20000; ++i) text += "lead" + std::to_string(i) + "@acme.io,Lead\n";
  const fs::path input = write("pipe.csv", text);
  const fs::path log = dir() / "pipe-log.txt";
  const fs::path rep = dir() / "pipe-report.json";
  const fs::path oc = dir() / "pipe-outcomes.csv";
  const fs::path rc = dir() / "pipe-rc.txt";
  const std::string cmd =
      "bash -c \"timeout 120 " LEADPIPE_BINARY_DIR "/pipeline/cli/leadpipe validate '" +
      input.string() + "' --out - --outcomes '" + oc.string() + "' --report '" + rep.string() +
      "' 2>'" + log.string() + "' | head -c 10 >/dev/null; echo \\${PIPESTATUS[0]} >'" +
      rc.string() + "'\"";
  REQUIRE(std::system(cmd.c_str()) == 0);
  CHECK(slurp(rc) == "3\n");
  CHECK(slurp(log).find("<stdout>: write failed: Broken pipe") != std::string::npos);
  const std::string report = slurp(rep);
  CHECK(report.find("\"exit_code\":3") != std::string::npos);
  CHECK(report.find("\"balanced\":true") != std::string::npos);
  const std::string outcomes = slurp(oc);
  CHECK(outcomes.starts_with("line,"));
  CHECK(std::count(outcomes.begin(), outcomes.end(), '\n') > 1);
}
