// The accounting identity on generated files with exactly known contents: every row ends in one
// outcome, and each count equals what leadpipe-gen says it planted.
#include <filesystem>
#include <string>

#include <unistd.h>

#include <doctest/doctest.h>

#include "leadgen_generate.hpp"
#include "leadpipe/pipeline.hpp"

using namespace leadpipe;
namespace fs = std::filesystem;

namespace {

struct scenario {
  const char* name;
  char delimiter = ',';
  bool crlf = false;
  bool bom = false;
  bool gzip = false;
  std::uint32_t columns = 15;
  bool fold = false;
};

void check_scenario(const scenario& sc, std::uint64_t rows, std::uint64_t seed) {
  CAPTURE(sc.name);
  const fs::path dir = fs::temp_directory_path() /
                       ("leadpipe_accounting_" + std::to_string(::getpid()) + "_" + sc.name);
  fs::create_directories(dir);
  leadgen::gen_options g;
  g.rows = rows;
  g.seed = seed;
  g.out = (dir / (sc.gzip ? "leads.csv.gz" : "leads.csv")).string();
  g.columns = sc.columns;
  g.delimiter = sc.delimiter;
  g.crlf = sc.crlf;
  g.bom = sc.bom;
  g.gzip = sc.gzip;
  g.rates = {.duplicate = 0.05, .invalid = 0.03, .missing = 0.02, .risky = 0.03, .role = 0.03,
             .multiline = 0.03, .extra_column = 0.005, .short_row = 0.005, .unicode = 0.05};
  g.block = {(dir / "block.txt").string(), 2000, 0.4};
  g.block_domain_count = 3;
  g.unsubscribed = {(dir / "unsub.txt").string(), 1500, 0.3};
  g.existing = {(dir / "existing.txt").string(), 3000, 0.5};
  auto gen = leadgen::generate(g);
  REQUIRE(gen.has_value());
  const leadgen::outcome_counts& want = gen->outcomes;

  cpu_options o;
  o.input = g.out;
  o.block_list = g.block.path;
  o.unsubscribed = g.unsubscribed.path;
  o.existing = g.existing.path;
  o.email.fold_provider_aliases = sc.fold;
  o.progress = progress_mode::off;
  report rep("validate");
  cpu_pipeline pipe(o, rep);
  outcome_files files((dir / "outcomes.csv").string(), (dir / "rejects.csv").string());
  file_outcome_sink outcomes(files, rep);
  counting_sink accepted;
  pipe.run(accepted, outcomes, rep);
  files.close();

  const auto& got = rep.outcomes();
  CHECK(rep.rows_read() == rows);
  CHECK(rep.balanced());
  CHECK(got.total() == rows);
  CHECK(got[outcome::accepted] == want.accepted);
  CHECK(accepted.count() == want.accepted);
  CHECK(got[outcome::malformed_row] == want.malformed_row);
  CHECK(got[outcome::missing_email] == want.missing_email);
  CHECK(got[outcome::invalid_email] == want.invalid_email);
  CHECK(got[outcome::duplicate_in_file] == want.duplicate_in_file);
  CHECK(got[outcome::dropped_risky] == want.dropped_risky);
  CHECK(got[outcome::already_in_campaign] == want.already_in_campaign);
  CHECK(got[outcome::blocked] == want.blocked);
  CHECK(got[outcome::unsubscribed] == want.unsubscribed);
  CHECK(rep.flag_count(risk::role) == want.flag_role);
  CHECK(rep.flag_count(risk::disposable) == want.flag_disposable);
  CHECK(rep.flag_count(risk::placeholder) == want.flag_placeholder);
  // The outcomes file has one line per row plus its header.
  std::uint64_t lines = 0;
  {
    // Quoted cells may hold newlines, so count records with the reader itself.
    auto rd = csv_reader::open(byte_source::open((dir / "outcomes.csv").string()));
    REQUIRE(rd.has_value());
    csv_record rec;
    while (rd->next(rec)) ++lines;
  }
  CHECK(lines == rows);
  fs::remove_all(dir);
}

}  // namespace

TEST_CASE("generated files: counts match the generator exactly") {
  check_scenario({"plain"}, 20000, 1);
  check_scenario({"semicolon_crlf_bom", ';', true, true}, 20000, 2);
  check_scenario({"tab", '\t'}, 10000, 3);
  check_scenario({"pipe_gzip", '|', false, false, true}, 10000, 4);
  check_scenario({"narrow", ',', false, false, false, 4}, 10000, 5);
  check_scenario({"wide", ',', false, false, false, 22}, 10000, 6);
  check_scenario({"folded", ',', false, false, false, 15, true}, 10000, 7);
}
