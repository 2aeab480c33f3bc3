// Replays every input under fuzz/regressions/<target>/ (inputs that once crashed a fuzz target
// or broke one of its checks) and every seed under fuzz/corpus/<target>/ through the same
// checkers the libFuzzer executables run (fuzz/fuzz_entries.hpp), so each fixed bug stays fixed
// in the ordinary build and under the sanitizer build of scripts/test.sh.
#include "fuzz_entries.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

#include <doctest/doctest.h>

#include "leadpipe/journal.hpp"

namespace fs = std::filesystem;
using leadpipe::fuzz::invariant_failure;
using leadpipe::fuzz::make_target;
using leadpipe::fuzz::target_names;

namespace {

const fs::path fuzz_dir = fs::path(LEADPIPE_SOURCE_DIR) / "fuzz";

std::vector<std::uint8_t> read_bytes(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// The files directly under `dir`, sorted by name (none when it does not exist).
std::vector<fs::path> files_in(const fs::path& dir) {
  std::vector<fs::path> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    if (e.is_regular_file()) out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

// Runs every file of fuzz/<kind>/<target>/ through its target; returns how many ran.
std::size_t replay(std::string_view kind) {
  std::size_t ran = 0;
  for (const std::string_view name : target_names()) {
    const auto t = make_target(name);
    REQUIRE(t != nullptr);
    for (const fs::path& file : files_in(fuzz_dir / kind / name)) {
      const auto bytes = read_bytes(file);
      INFO(file.string());
      try {
        t->run(bytes);
      } catch (const invariant_failure& e) {
        FAIL_CHECK(e.what());
      }
      ++ran;
    }
  }
  return ran;
}

}  // namespace

TEST_CASE("every fuzz regression input passes its target's checks") {
  // Zero is fine before the first bug; the seeds below keep the checkers themselves exercised.
  MESSAGE("replayed " << replay("regressions") << " regression inputs");
}

TEST_CASE("every seed of the fuzz corpora passes its target's checks") {
  CHECK(replay("corpus") >= 4 * 10);
}

TEST_CASE("the journal seeds written in the writer's format are journals the reader accepts") {
  // Seeds whose mode byte is 0 are raw journal files; all but the deliberately broken ones must
  // parse, or the fuzzer would start from nothing but error paths.
  std::size_t accepted = 0;
  for (const fs::path& file : files_in(fuzz_dir / "corpus" / "journal")) {
    const auto bytes = read_bytes(file);
    const std::string name = file.filename().string();
    if (bytes.empty() || bytes[0] != 0 || name.starts_with("corrupt") ||
        name.starts_with("version")) {
      continue;
    }
    const std::string_view text(reinterpret_cast<const char*>(bytes.data()) + 1, bytes.size() - 1);
    std::string message;
    INFO(name);
    CHECK_MESSAGE(leadpipe::parse_journal(text, name, &message).has_value(), message);
    ++accepted;
  }
  CHECK(accepted >= 3);
}

TEST_CASE("an unknown target name gives no target") {
  CHECK(make_target("no-such-target") == nullptr);
  CHECK(target_names().size() >= 4);
}
