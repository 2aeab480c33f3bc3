#include "cli_common.hpp"

#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <iterator>
#include <utility>

#include <fmt/format.h>

#include "leadpipe/output_file.hpp"
#include "leadpipe/source.hpp"

namespace leadpipe::cli {

void add_cpu_flags(CLI::App& cmd, cpu_flags& f, bool with_out) {
  cmd.add_option("INPUT", f.input, "lead CSV: a path, a .gz file, or - for standard input")
      ->required();
  auto* in = "Input";
  cmd.add_option("--delimiter", f.delimiter,
                 "field delimiter: , ; | tab (default: detected from the header)")
      ->group(in);
  cmd.add_option("--encoding", f.encoding,
                 "input encoding when not UTF-8, e.g. windows-1252, latin1, utf-16le, or auto "
                 "(UTF-8, UTF-16, windows-1252 or Mac Roman, judged from the first MiB); a "
                 "byte-order mark is detected without it")
      ->check(CLI::Validator(
          [](const std::string& v) {
            return encoding_known(v) ? std::string()
                                     : fmt::format(
                                           "unknown encoding '{}' (try utf-8, "
                                           "windows-1252, latin1, utf-16le or auto)",
                                           v);
          },
          "ENCODING"))
      ->group(in);
  cmd.add_option("--max-record-bytes", f.max_record_bytes,
                 "longest record accepted; longer ones are rejected as record_too_long")
      ->group(in)
      ->capture_default_str();
  auto* mp = "Column mapping";
  cmd.add_option("--map", f.map,
                 "field=Header: take a lead field (email, first_name, last_name, phone_number, "
                 "company_name, website, location, linkedin_profile, company_url) from that "
                 "column; field= leaves it unmapped")
      ->group(mp);
  cmd.add_flag("--no-custom-fields", f.no_custom_fields, "keep no custom fields")->group(mp);
  cmd.add_option("--custom-field", f.custom_field,
                 "keep only these columns as custom fields (repeatable)")
      ->group(mp);
  auto* pol = "Email policy";
  cmd.add_option("--drop", f.drop,
                 "risk flags whose leads are dropped, added to the default "
                 "(disposable,placeholder): role, placeholder, disposable, typo, smtputf8; "
                 "repeatable")
      ->group(pol);
  cmd.add_option("--keep", f.keep, "risk flags whose leads are kept after all, e.g. disposable")
      ->group(pol);
  cmd.add_flag("--fold-provider-aliases", f.fold_provider_aliases,
               "treat Gmail dots/+tags and provider +tags as the same person when deduplicating")
      ->group(pol);
  auto* lists = "Skip lists";
  cmd.add_option("--block-list", f.block_list,
                 "emails and domains the server blocks (one per line, or a CSV with an email / "
                 "domain column)")
      ->group(lists);
  cmd.add_option("--unsubscribed", f.unsubscribed, "unsubscribed emails (same format)")
      ->group(lists);
  cmd.add_option("--existing", f.existing, "emails already in the campaign (same format)")
      ->group(lists);
  auto* outs = "Outputs";
  if (with_out) {
    cmd.add_option("--out", f.out, "accepted leads in sent form, ready to import (CSV)")
        ->group(outs);
  }
  cmd.add_option("--outcomes", f.outcomes, "one line per input row with its outcome (CSV)")
      ->group(outs);
  cmd.add_option("--rejects", f.rejects, "every row not accepted, with reason and raw text (CSV)")
      ->group(outs);
  cmd.add_option("--report", f.report, "JSON report (schema in the README); - for standard output")
      ->group(outs);
  cmd.add_flag("--progress", f.progress, "draw progress on standard error even when not a terminal")
      ->group(outs);
  cmd.add_flag("--no-progress", f.no_progress, "never draw progress")->group(outs);
}

namespace {

char parse_delimiter(const std::string& d) {
  if (d.empty()) return 0;
  if (d == "tab" || d == "\\t" || d == "\t") return '\t';
  if (d == "," || d == ";" || d == "|") return d[0];
  if (d == "comma") return ',';
  if (d == "semicolon") return ';';
  if (d == "pipe") return '|';
  throw CLI::ValidationError("--delimiter", "must be one of , ; | tab (got '" + d + "')");
}

std::uint8_t flags_of(const std::vector<std::string>& lists, const char* flag) {
  std::uint8_t all = 0;
  for (const std::string& list : lists) {
    if (list.empty()) continue;
    std::string msg;
    auto r = parse_flags(list, &msg);
    if (!r) throw CLI::ValidationError(flag, msg);
    all = static_cast<std::uint8_t>(all | *r);
  }
  return all;
}

// Two names of one file: the same path once made absolute and normal, or, for files that
// exist, the same device and inode (a symlink, a hard link, ./x vs x).
bool same_file(const std::string& a, const std::string& b) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::exists(a, ec) && fs::exists(b, ec)) return fs::equivalent(a, b, ec);
  const fs::path pa = fs::weakly_canonical(fs::absolute(a, ec), ec);
  const fs::path pb = fs::weakly_canonical(fs::absolute(b, ec), ec);
  return !pa.empty() && pa == pb;
}

// A device or FIFO (/dev/null, /dev/stdout, a pipe) may take more than one output.
bool is_special(const std::string& path) {
  std::error_code ec;
  const auto st = std::filesystem::status(path, ec);
  return !ec && std::filesystem::exists(st) && !std::filesystem::is_regular_file(st);
}

// An output written over the input, a list or another output would replace it when the run
// ends (outputs are renamed into place): the user's export or block list would be lost.
void check_output_paths(const cpu_flags& f, const std::string& api_key_file) {
  check_paths({{"INPUT", &f.input},
               {"--block-list", &f.block_list},
               {"--unsubscribed", &f.unsubscribed},
               {"--existing", &f.existing},
               {"--api-key-file", &api_key_file}},
              {{"--out", &f.out},
               {"--outcomes", &f.outcomes},
               {"--rejects", &f.rejects},
               {"--report", &f.report}});
}

}  // namespace

const CLI::Validator& positive_id() {
  static const CLI::Validator v(
      [](std::string& text) -> std::string {
        std::int64_t n = 0;
        const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
        if (text.empty() || ec != std::errc() || end != text.data() + text.size() || n <= 0) {
          return fmt::format("must be a positive whole number (got '{}')", text);
        }
        return {};
      },
      "ID");
  return v;
}

void check_paths(std::initializer_list<named_path> inputs,
                 std::initializer_list<named_path> outputs) {
  const auto named = [](const std::string& p) { return !p.empty() && p != "-"; };
  const char* on_stdout = nullptr;
  for (auto i = outputs.begin(); i != outputs.end(); ++i) {
    const auto& [oflag, out] = *i;
    if (*out == "-") {
      if (on_stdout != nullptr) {
        throw CLI::ValidationError(oflag, fmt::format("{} also goes to standard output: give one "
                                                      "of them a file",
                                                      on_stdout));
      }
      on_stdout = oflag;
    }
    if (!named(*out) || is_special(*out)) continue;
    for (const auto& [iflag, in] : inputs) {
      if (named(*in) && same_file(*out, *in)) {
        throw CLI::ValidationError(oflag, fmt::format("{} is also the {} file; writing it would "
                                                      "replace it (choose another path)",
                                                      *out, iflag));
      }
    }
    for (auto j = outputs.begin(); j != i; ++j) {
      const auto& [other_flag, other] = *j;
      if (named(*other) && same_file(*out, *other)) {
        throw CLI::ValidationError(oflag, fmt::format("{} is also the {} file: each output "
                                                      "needs a path of its own",
                                                      *out, other_flag));
      }
    }
  }
}

void check_can_write(const std::string& path) {
  namespace fs = std::filesystem;
  if (path.empty() || path == "-") return;
  std::error_code ec;
  const auto st = fs::status(path, ec);
  if (fs::is_directory(st)) {
    throw std::runtime_error(fmt::format("{}: cannot write: it is a directory", path));
  }
  if (fs::exists(st)) {
    if (::access(path.c_str(), W_OK) != 0) {
      throw std::runtime_error(fmt::format("{}: cannot write: {}", path, std::strerror(errno)));
    }
    return;
  }
  fs::path dir = fs::path(path).parent_path();
  if (dir.empty()) dir = ".";
  if (::access(dir.c_str(), W_OK | X_OK) != 0) {
    throw std::runtime_error(
        fmt::format("{}: cannot create it in {}: {}", path, dir.string(), std::strerror(errno)));
  }
}

cpu_options to_options(const cpu_flags& f, const std::string& api_key_file) {
  check_output_paths(f, api_key_file);
  cpu_options o;
  o.input = f.input;
  o.source.encoding = f.encoding;
  o.csv.delimiter = parse_delimiter(f.delimiter);
  o.csv.max_record_bytes = f.max_record_bytes;
  for (const auto& m : f.map) {
    const auto eq = m.find('=');
    if (eq == std::string::npos) {
      throw CLI::ValidationError("--map", "expects field=Header (got '" + m + "')");
    }
    const auto field = lead_field_from_name(m.substr(0, eq));
    if (!field) {
      throw CLI::ValidationError("--map", "unknown lead field '" + m.substr(0, eq) +
                                              "' (email, first_name, last_name, phone_number, "
                                              "company_name, website, location, "
                                              "linkedin_profile, company_url)");
    }
    o.mapping.overrides.emplace_back(*field, m.substr(eq + 1));
  }
  o.mapping.no_custom_fields = f.no_custom_fields;
  o.mapping.only_custom = f.custom_field;
  if (f.no_custom_fields && !f.custom_field.empty()) {
    throw CLI::ValidationError("--custom-field", "cannot be combined with --no-custom-fields");
  }
  const std::uint8_t drop = flags_of(f.drop, "--drop");
  const std::uint8_t keep = flags_of(f.keep, "--keep");
  if (const auto both = static_cast<std::uint8_t>(drop & keep); both != 0) {
    throw CLI::ValidationError("--keep",
                               fmt::format("{} is given to both --drop and --keep",
                                           flag_name(static_cast<std::uint8_t>(both & -both))));
  }
  o.drop_flags = static_cast<std::uint8_t>((risk::dropped_by_default | drop) & ~keep);
  o.email.fold_provider_aliases = f.fold_provider_aliases;
  o.block_list = f.block_list;
  o.unsubscribed = f.unsubscribed;
  o.existing = f.existing;
  o.progress = f.no_progress ? progress_mode::off
                             : (f.progress ? progress_mode::on : progress_mode::automatic);
  return o;
}

void record_policy_settings(report& rep, const cpu_options& opts) {
  rep.settings["drop"] = flag_names(opts.drop_flags);
  rep.settings["fold_provider_aliases"] = opts.email.fold_provider_aliases ? "true" : "false";
}

void write_report(const std::string& path, const report& rep) {
  if (path.empty()) return;
  output_file out(path, path != "-");
  out.write(rep.to_json());
  out.close();
}

int failure_exit_code(const std::exception& e) noexcept {
  const auto* source = dynamic_cast<const source_error*>(&e);
  return source != nullptr && source->code() == source_errc::stopped ? exit_not_imported
                                                                     : exit_fatal;
}

void write_failed_report(const std::string& path, report& rep, std::string_view why,
                         int rc) noexcept {
  try {
    rep.stop_clock();
    rep.stop_reason = std::string(why);
    rep.exit_code = rc;
    write_report(path, rep);
  } catch (...) {
    // The error being reported matters more; the caller prints it.
  }
}

std::string summary(const report& rep) {
  std::string s = fmt::format("leadpipe: {} rows in {:.2f} s", rep.rows_read(), rep.seconds());
  for (std::size_t i = 0; i < outcome_count; ++i) {
    const auto o = static_cast<outcome>(i);
    if (rep.outcomes()[o] != 0) s += fmt::format("\n  {:<32} {:>12}", name(o), rep.outcomes()[o]);
  }
  if (rep.repaired_encoding() != 0) {
    s += fmt::format("\n  {:<32} {:>12}  (non-UTF-8 bytes replaced; see --encoding)",
                     "repaired_encoding", rep.repaired_encoding());
  }
  if (!rep.balanced()) s += "\n  WARNING: outcomes do not add up to rows read";
  return s;
}

}  // namespace leadpipe::cli
