// leadpipe-gen: the thin command line over leadgen_generate (flags -> gen_options, summary to
// stderr). Exit codes: 0 done, 1 an output file could not be written, 2 bad flags.

#include <chrono>
#include <cstdio>
#include <exception>
#include <string>

// GCC 12 reports -Wnull-dereference false positives inside CLI11's inlined string helpers; the
// pragma covers the header's own lines only.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include <CLI/CLI.hpp>
#pragma GCC diagnostic pop
#include <fmt/format.h>

#include "leadgen_generate.hpp"

namespace {

using leadpipe::leadgen::gen_options;
using leadpipe::leadgen::list_options;

constexpr const char* footer =
    R"(Row kinds are exclusive and drawn per row; the duplicate, invalid, missing, risky, role,
extra-column and short-row rates must sum to at most 1. Multiline and unicode rates apply on top.
Expected outcome of each row under leadpipe's default validation, first that applies:
malformed_row, missing_email, invalid_email, duplicate_in_file, dropped_risky (disposable domain
or placeholder local part), already_in_campaign, blocked, unsubscribed, accepted.
List hits are identity keys (lower case) of valid rows on ASCII domains; fillers never match.
Same flags, same bytes, on every machine. Exit codes: 0 done, 1 write error, 2 bad flags.)";

bool parse_delimiter(const std::string& text, char& out) {
  if (text == "\\t" || text == "tab" || text == "\t") {
    out = '\t';
    return true;
  }
  if (text.size() == 1 && (text == "," || text == ";" || text == "|")) {
    out = text[0];
    return true;
  }
  return false;
}

void add_list(CLI::App& app, list_options& list, const std::string& path_flag,
              const std::string& name, const std::string& what) {
  app.add_option(path_flag, list.path, "Write a " + what + " list to FILE (one entry a line)")
      ->type_name("FILE");
  app.add_option("--" + name + "-count", list.count,
                 "Addresses in the " + what + " list (hits + non-matching fillers)")
      ->capture_default_str();
  app.add_option("--" + name + "-hit-rate", list.hit_rate,
                 "Share of the " + what + " list taken from the file's valid rows")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
}

void add_rate(CLI::App& app, const std::string& flag, double& rate, const std::string& help) {
  app.add_option(flag, rate, help)->check(CLI::Range(0.0, 1.0))->capture_default_str();
}

void print_summary(const leadpipe::leadgen::gen_summary& s, double seconds) {
  const auto& c = s.outcomes;
  const double mb = static_cast<double>(s.csv_bytes) / 1e6;
  fmt::print(stderr,
             "leadpipe-gen: {} rows, {:.1f} MB in {:.2f} s ({:.0f} MB/s)\n"
             "  accepted {}, invalid_email {}, missing_email {}, duplicate_in_file {}, "
             "already_in_campaign {}, blocked {}, unsubscribed {}, dropped_risky {}, "
             "malformed_row {}\n"
             "  flags: role {}, disposable {}, placeholder {}; list hits: existing {}, block {}, "
             "unsubscribed {}\n",
             s.rows, mb, seconds, seconds > 0 ? mb / seconds : 0.0, c.accepted, c.invalid_email,
             c.missing_email, c.duplicate_in_file, c.already_in_campaign, c.blocked, c.unsubscribed,
             c.dropped_risky, c.malformed_row, c.flag_role, c.flag_disposable, c.flag_placeholder,
             s.existing_hits, s.block_hits, s.unsubscribed_hits);
}

}  // namespace

int main(int argc, char** argv) {
  gen_options o;
  std::string delimiter = ",";
  bool quiet = false;

  CLI::App app{
      "leadpipe-gen: writes a deterministic lead CSV (Apollo/ZoomInfo/HubSpot shape) "
      "with known defects, companion lists and the exact expected outcome counts."};
  app.footer(footer);
  app.add_option("--rows", o.rows, "Data rows to write (header not counted)")
      ->capture_default_str();
  app.add_option("--seed", o.seed, "Seed; the output is a pure function of the flags")
      ->capture_default_str();
  app.add_option("--out", o.out, "Output file, - for stdout; a .gz name implies --gzip")
      ->type_name("FILE")
      ->capture_default_str();
  app.add_option("--columns", o.columns,
                 "Header width (>= 4): the first K of the 15 standard columns, then Custom 1..")
      ->check(CLI::Range(4, 10000))
      ->capture_default_str();
  add_rate(app, "--duplicate-rate", o.rates.duplicate,
           "Rows repeating an earlier row's address (case/space variant, same identity key)");
  add_rate(app, "--invalid-rate", o.rates.invalid,
           "Rows with a clearly invalid address (no @, two @, a..b@x.com, formulas, ...)");
  add_rate(app, "--missing-rate", o.rates.missing, "Rows with an empty email cell");
  add_rate(app, "--risky-rate", o.rates.risky,
           "Rows with a disposable domain or a placeholder local part (dropped by default)");
  add_rate(app, "--role-rate", o.rates.role, "Rows with a role local part (info@, sales@...)");
  add_rate(app, "--multiline-rate", o.rates.multiline,
           "Rows whose Notes hold newlines, doubled quotes and delimiters (not short rows)");
  add_rate(app, "--extra-column-rate", o.rates.extra_column,
           "Rows with one non-empty field too many (malformed_row)");
  add_rate(app, "--short-row-rate", o.rates.short_row,
           "Rows with too few fields, at least two (malformed_row)");
  add_rate(app, "--unicode-rate", o.rates.unicode,
           "Rows with non-ASCII names and places; some use IDN domains (bücher.ch)");
  app.add_option("--delimiter", delimiter, "Field delimiter: , ; | or \\t (tab)")
      ->capture_default_str();
  app.add_flag("--crlf", o.crlf, "End lines with CRLF instead of LF");
  app.add_flag("--bom", o.bom, "Start the file with a UTF-8 byte-order mark");
  app.add_flag("--gzip", o.gzip, "Compress the CSV with gzip");
  app.add_option("--gzip-level", o.gzip_level, "gzip level 0..9")
      ->check(CLI::Range(0, 9))
      ->capture_default_str();
  add_list(app, o.block, "--block-list", "block", "block");
  app.add_option("--block-domain-count", o.block_domain_count,
                 "Domain entries added to the block list; rows on those domains are blocked")
      ->capture_default_str();
  add_list(app, o.unsubscribed, "--unsubscribed", "unsubscribed", "unsubscribed");
  add_list(app, o.existing, "--existing", "existing", "already-in-campaign");
  app.add_option("--expect", o.expect_path,
                 "Write the exact expected outcome counts (JSON) of leadpipe's default validation")
      ->type_name("FILE");
  app.add_option("--sim-fixture", o.sim_fixture_path,
                 "Write a simulator fixture (sim/fixture.cpp format): campaign --campaign-id with "
                 "the --existing addresses as members, the block list and the unsubscribes")
      ->type_name("FILE");
  app.add_option("--campaign-id", o.campaign_id, "Campaign id of the --sim-fixture (> 0)");
  app.add_flag("--quiet", quiet, "Do not print the summary on stderr");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }
  if (!parse_delimiter(delimiter, o.delimiter)) {
    fmt::print(stderr, "leadpipe-gen: --delimiter: must be one of , ; | or \\t\n");
    return 2;
  }
  if (auto valid = leadpipe::leadgen::validate_options(o); !valid) {
    fmt::print(stderr, "leadpipe-gen: {}\n", valid.error().message);
    return 2;
  }
  try {
    const auto start = std::chrono::steady_clock::now();
    auto summary = leadpipe::leadgen::generate(o);
    if (!summary) {
      fmt::print(stderr, "leadpipe-gen: {}\n", summary.error().message);
      return 1;
    }
    const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
    if (!quiet) print_summary(summary.value(), elapsed.count());
  } catch (const std::exception& e) {
    fmt::print(stderr, "leadpipe-gen: {}\n", e.what());
    return 1;
  }
  return 0;
}
