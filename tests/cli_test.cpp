// Subcommands through the real binary where the command line itself is the subject:
// check-template's listing and exit codes, and flags a subcommand does not take.
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

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
