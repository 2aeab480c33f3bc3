// Subcommands through the real binary where the command line itself is the subject:
// check-template's listing and exit codes, and flags a subcommand does not take.
#include <sys/wait.h>
#include <unistd.h>

#include <sys/stat.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <utility>

#include <doctest/doctest.h>

namespace fs = std::filesystem;

namespace {

struct run_result {
  int rc = -1;
  std::string out;
  std::string err;
};

class scratch {
 public:
  scratch()
      : dir_(fs::temp_directory_path() / ("leadpipe_cli_test_" + std::to_string(::getpid()))) {
    fs::create_directories(dir_);
  }
  ~scratch() {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  scratch(const scratch&) = delete;
  scratch& operator=(const scratch&) = delete;

  [[nodiscard]] std::string file(const std::string& name) const { return (dir_ / name).string(); }
  std::string write(const std::string& name, const std::string& text) const {
    std::ofstream(file(name), std::ios::binary) << text;
    return file(name);
  }
  [[nodiscard]] std::string read(const std::string& name) const {
    std::ifstream in(file(name), std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  }
  // Runs `leadpipe ARGS` while the FIFO `fifo` gets `feed` and then stays open and silent (a
  // stalled producer), and sends it SIGTERM after `after` seconds: its exit code, and how long
  // the whole took.
  [[nodiscard]] std::pair<std::string, std::chrono::steady_clock::duration> run_stalled(
      const std::string& fifo, const std::string& feed, const std::string& after,
      const std::string& args) const {
    write("feed.txt", feed);
    write("run.sh", "mkfifo " + fifo + "\n( cat feed.txt; sleep 20 ) > " + fifo +
                        " &\ntimeout --preserve-status -s TERM " + after +
                        " " LEADPIPE_BINARY_DIR "/pipeline/cli/leadpipe " + args +
                        " >out.txt 2>err.txt\necho $? > rc.txt\nkill %1\n");
    const auto started = std::chrono::steady_clock::now();
    REQUIRE(std::system(("cd '" + dir_.string() + "' && bash run.sh").c_str()) == 0);
    return {read("rc.txt"), std::chrono::steady_clock::now() - started};
  }
  // Runs `leadpipe ARGS` (arguments are passed through the shell: keep them plain).
  run_result run(const std::string& args) const {
    const std::string cmd = "cd '" + dir_.string() +
                            "' && timeout 60 " LEADPIPE_BINARY_DIR "/pipeline/cli/leadpipe " +
                            args + " >out.txt 2>err.txt";
    const int status = std::system(cmd.c_str());
    return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, read("out.txt"), read("err.txt")};
  }

 private:
  fs::path dir_;
};

}  // namespace

TEST_CASE(
    "check-template: the listing on stdout, exit 0 when filled, 1 when a lead leaves one blank") {
  const scratch s;
  s.write("leads.csv", "Email,First Name,Tier\na@acme.io,Ann,Gold\nb@acme.io,,Gold\n");
  s.write("t1.txt", "Hi {{first_name|there}}, {{Tier}} member\n");
  s.write("t2.txt", "Hi {{first_name}}\n");
  const run_result filled = s.run("check-template t1.txt leads.csv --report r1.json");
  CHECK(filled.rc == 0);
  CHECK(filled.out.find("first_name") != std::string::npos);
  CHECK(filled.out.find("Tier") != std::string::npos);
  CHECK(s.read("r1.json").find("\"template\"") != std::string::npos);
  const run_result blank = s.run("check-template t2.txt leads.csv");
  CHECK(blank.rc == 1);
}

// The listing is check-template's standard output; a report there would mix JSON into it.
TEST_CASE("check-template: --report - beside the listing is a usage error") {
  const scratch s;
  s.write("leads.csv", "Email\na@acme.io\n");
  s.write("t.txt", "Hi\n");
  const run_result r = s.run("check-template t.txt leads.csv --report -");
  CHECK(r.rc == 2);
  CHECK(r.out.empty());
  CHECK(r.err.find("standard output") != std::string::npos);
  CHECK(s.run("check-template t.txt leads.csv --outcomes t.txt").rc == 2);
  CHECK(s.read("t.txt") == "Hi\n");
}

// Only validate writes the accepted leads as a CSV; import and check-template used to take
// --out and write nothing.
TEST_CASE("--out belongs to validate: import and check-template refuse it") {
  const scratch s;
  s.write("leads.csv", "Email\na@acme.io\n");
  s.write("t.txt", "Hi\n");
  CHECK(s.run("validate leads.csv --out clean.csv").rc == 0);
  CHECK(s.read("clean.csv").starts_with("email,"));
  const run_result imp = s.run("import leads.csv --campaign 1 --dry-run --out x.csv");
  CHECK(imp.rc == 2);
  CHECK(imp.err.find("--out") != std::string::npos);
  CHECK(s.run("check-template t.txt leads.csv --out x.csv").rc == 2);
  CHECK_FALSE(fs::exists(s.file("x.csv")));
}

// A nightly job reads the outcome files beside the report: a run that fails before its first
// row must not leave an earlier run's rows in them.
TEST_CASE("validate: a run that fails on its input leaves outcome files of just their headers") {
  const scratch s;
  s.write("good.csv", "Email\nold1@acme.io\nbad\n");
  s.write("dup.csv", "Email,Title,Title\na@acme.io,x,y\n");
  CHECK(s.run("validate good.csv --outcomes o.csv --rejects r.csv --report rep.json").rc == 0);
  CHECK(s.read("o.csv").find("old1@acme.io") != std::string::npos);
  for (const char* input : {"dup.csv", "missing.csv"}) {
    CAPTURE(input);
    const run_result r = s.run(std::string("validate ") + input +
                               " --outcomes o.csv --rejects r.csv --report rep.json");
    CHECK(r.rc == 3);
    CHECK(s.read("o.csv") == "line,email,outcome,reason,detail,flags,by,batch\n");
    CHECK(s.read("r.csv") == "line,offset,outcome,reason,detail,raw\n");
    // The report has the settings of every validate report.
    CHECK(s.read("rep.json").find(R"("drop":"placeholder,disposable")") != std::string::npos);
  }
}

TEST_CASE("an unknown --encoding is a usage error: exit 2, no report") {
  const scratch s;
  s.write("leads.csv", "Email\na@acme.io\n");
  const run_result r = s.run("validate leads.csv --encoding klingon --report rep.json");
  CHECK(r.rc == 2);
  CHECK(r.err.find("unknown encoding 'klingon'") != std::string::npos);
  CHECK_FALSE(fs::exists(s.file("rep.json")));
  CHECK(s.run("validate leads.csv --encoding latin1").rc == 0);
}

// Bytes that are not valid in the named encoding stop the run: the rows before them have their
// outcomes, and the message says up to which line.
TEST_CASE("validate: an input that cannot be decoded further names the last line read") {
  const scratch s;
  std::string text = "Email\n";
  for (int i = 0; i < 3000; ++i) text += "u" + std::to_string(i) + "@acme.io\n";
  text += "bad\xE9@acme.io\n";
  s.write("a.csv", text);
  const run_result r =
      s.run("validate a.csv --encoding us-ascii --outcomes o.csv --report rep.json");
  CHECK(r.rc == 3);
  CHECK(r.err.find("rows up to line 3001 were read and have their outcomes") != std::string::npos);
  const std::string o = s.read("o.csv");
  CHECK(o.find("\n3001,u2999@acme.io,accepted") != std::string::npos);
  CHECK(s.read("rep.json").find(R"("rows_read":3000)") != std::string::npos);
}

// SIGTERM (a nightly job's timeout) stops validate at a row boundary, even while its input
// pipe is silent: exit 1, a report that says so, and the rows read before it in the outputs.
TEST_CASE("validate: a signal stops it while its input pipe is silent") {
  const scratch s;
  const auto [rc, took] = s.run_stalled("in.fifo", "Email\na@acme.io\nb@acme.io\n", "1.5",
                                        "validate in.fifo --outcomes o.csv --report rep.json");
  CHECK(took < std::chrono::seconds(10));
  CHECK(rc == "1\n");
  CHECK(s.read("o.csv").find("3,b@acme.io,accepted") != std::string::npos);
  const std::string rep = s.read("rep.json");
  CHECK(rep.find("stopped by a signal") != std::string::npos);
  CHECK(rep.find(R"("exit_code":1)") != std::string::npos);
  CHECK(rep.find(R"("rows_read":2)") != std::string::npos);
}

// Every check-template report has the same shape, whether or not the run could start.
TEST_CASE("check-template: a run that cannot start writes a report of the usual shape") {
  const scratch s;
  s.write("t.txt", "Hi {{first_name}}\n");
  const run_result r = s.run("check-template t.txt missing.csv --report rep.json");
  CHECK(r.rc == 3);
  const std::string rep = s.read("rep.json");
  CHECK(rep.find(R"("template":{"path":"t.txt","leads":0,"variables":[],"syntax_problems":[]})") !=
        std::string::npos);
  CHECK(rep.find(R"("mapping":{"fields":{"email":null)") != std::string::npos);
  CHECK(rep.find(R"("fold_provider_aliases":"false")") != std::string::npos);
  CHECK(rep.find(R"("exit_code":3)") != std::string::npos);
}

// block add's report has its network figures and block_add section even when its input
// cannot be read, and its outcomes file is this run's (just the header).
TEST_CASE("block add: a missing input gives a report of the usual shape") {
  const scratch s;
  s.write("o.csv", "old rows\n");
  s.write("key.txt", "sim-key\n");
  const run_result r = s.run(
      "block add missing.csv --base-url http://127.0.0.1:9/api/v1 --api-key-file key.txt "
      "--outcomes o.csv --report rep.json");
  CHECK(r.rc == 3);
  CHECK(s.read("o.csv") == "line,entry,outcome,reason,detail\n");
  const std::string rep = s.read("rep.json");
  CHECK(rep.find(R"("network":{)") != std::string::npos);
  CHECK(rep.find(R"("block_add":{"client_id":null,"entries":0,"added":0)") != std::string::npos);
  CHECK(rep.find("missing.csv: cannot open") != std::string::npos);
}

// A list given as a pipe that holds back its data (a process substitution whose producer
// stalls) does not hold a stop back either: exit 1, within a second.
TEST_CASE("validate: a signal stops it while a --block-list pipe is silent") {
  const scratch s;
  s.write("leads.csv", "Email\na@acme.io\n");
  const auto [rc, took] =
      s.run_stalled("block.fifo", "x@acme.io\n", "1",
                    "validate leads.csv --block-list block.fifo --report rep.json");
  CHECK(took < std::chrono::seconds(5));
  CHECK(rc == "1\n");
  CHECK(s.read("rep.json").find("stopped by a signal") != std::string::npos);
}

TEST_CASE("check-template: a missing template leaves outcome files of just their headers") {
  const scratch s;
  s.write("leads.csv", "Email\na@acme.io\n");
  s.write("t.txt", "Hi {{first_name}}\n");
  CHECK(s.run("check-template t.txt leads.csv --outcomes o.csv").rc == 1);
  CHECK(s.read("o.csv").find("a@acme.io") != std::string::npos);
  CHECK(s.run("check-template missing.txt leads.csv --outcomes o.csv").rc == 3);
  CHECK(s.read("o.csv") == "line,email,outcome,reason,detail,flags,by,batch\n");
}
