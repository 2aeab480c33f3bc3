#include "leadgen_generate.hpp"

#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include "leadgen_csv.hpp"
#include "leadgen_data.hpp"
#include "leadgen_fixture.hpp"
#include "leadgen_lists.hpp"
#include "leadgen_rng.hpp"
#include "leadpipe/json_writer.hpp"

namespace leadpipe::leadgen {
namespace {

constexpr std::uint64_t reservoir_salt = 0x7265736572766f69ULL;
constexpr std::uint64_t block_domain_salt = 0x626c6f636b646f6dULL;
constexpr std::uint64_t existing_salt = 0x6578697374696e67ULL;
constexpr std::uint64_t block_salt = 0x626c6f636b6c6973ULL;
constexpr std::uint64_t unsubscribed_salt = 0x756e737562736372ULL;

// A row as the file will hold it: its own plan, its effective kind, and for a duplicate the plan
// of the earlier row it repeats.
struct sequenced_row {
  row_plan own;
  row_kind kind = row_kind::valid;
  std::optional<row_plan> source;
};

// Walks the rows in order, giving duplicates their source. Sources are valid and role rows
// (plain kept addresses), remembered by index only in a fixed-size uniform reservoir
// (Vitter's algorithm R), so memory does not grow with the file; their addresses are
// regenerated from the plan when repeated.
class row_sequence {
 public:
  explicit row_sequence(const row_planner& planner)
      : planner_(planner), rng_(mix64(planner.seed_key() ^ reservoir_salt)) {}

  sequenced_row next(std::uint64_t index) {
    sequenced_row row{planner_.plan(index), row_kind::valid, std::nullopt};
    row.kind = row.own.kind;
    if (row.kind == row_kind::duplicate) {
      if (reservoir_.empty()) {
        row.kind = row_kind::valid;  // nothing earlier to repeat: the row keeps its own address
      } else {
        row.source = planner_.plan(reservoir_[rng_.pick(reservoir_.size())]);
      }
    }
    if (row.kind == row_kind::valid || row.kind == row_kind::role) remember(index);
    return row;
  }

 private:
  void remember(std::uint64_t index) {
    ++seen_;
    if (reservoir_.size() < duplicate_reservoir_capacity) {
      reservoir_.push_back(index);
      return;
    }
    const std::uint64_t slot = rng_.below(seen_);
    if (slot < duplicate_reservoir_capacity) reservoir_[static_cast<std::size_t>(slot)] = index;
  }

  const row_planner& planner_;
  splitmix64 rng_;
  std::vector<std::uint64_t> reservoir_;
  std::uint64_t seen_ = 0;
};

// Rows whose address can be a list hit: kept addresses (valid or role, not duplicates) on an
// ASCII domain, so the list entry is plainly the identity key.
bool is_list_eligible(const sequenced_row& row) noexcept {
  return (row.kind == row_kind::valid || row.kind == row_kind::role) && has_ascii_domain(row.own);
}

bool wants_list(const list_options& list) noexcept { return !list.path.empty(); }

std::uint64_t count_eligible(const gen_options& options, const row_planner& planner) {
  row_sequence sequence(planner);
  std::uint64_t eligible = 0;
  for (std::uint64_t i = 0; i < options.rows; ++i) {
    if (is_list_eligible(sequence.next(i))) ++eligible;
  }
  return eligible;
}

// The companies whose domains go on the block list: a seeded partial Fisher-Yates shuffle.
std::vector<std::uint32_t> pick_blocked_companies(std::uint64_t seed_key, std::uint32_t count) {
  std::vector<std::uint32_t> all(company_count());
  for (std::uint32_t i = 0; i < all.size(); ++i) all[i] = i;
  splitmix64 rng(mix64(seed_key ^ block_domain_salt));
  for (std::uint32_t i = 0; i < count; ++i) {
    const std::uint32_t j = i + rng.pick(all.size() - i);
    std::swap(all[i], all[j]);
  }
  all.resize(count);
  return all;
}

gen_result<std::optional<list_writer>> open_list(const list_options& list, std::uint64_t eligible,
                                                 std::uint64_t key) {
  if (!wants_list(list)) return std::optional<list_writer>();
  auto sink = output_sink::open(list.path, false);
  if (!sink) return sink.error();
  return std::optional<list_writer>(std::in_place, std::move(*sink), list.count, list.hit_rate,
                                    eligible, key);
}

gen_result<> write_text_file(const std::string& path, std::string_view text) {
  auto opened = output_sink::open(path, false);
  if (!opened) return opened.error();
  output_sink sink = std::move(opened).value();
  sink.buffer().append(text);
  return sink.close();
}

// The state of one generation run; lives only inside generate().
class generator {
 public:
  generator(const gen_options& options, output_sink csv)
      : options_(options),
        planner_(options.seed, options.rates, options.columns),
        writer_(options.columns, options.delimiter, options.crlf),
        csv_(std::move(csv)),
        blocked_company_(company_count(), false) {}

  gen_result<gen_summary> run() {
    const bool any_list = wants_list(options_.block) || wants_list(options_.unsubscribed) ||
                          wants_list(options_.existing);
    if (any_list) summary_.eligible_rows = count_eligible(options_, planner_);
    if (auto opened = open_lists(); !opened) return opened.error();

    if (options_.bom) csv_.buffer().append("\xEF\xBB\xBF");
    writer_.append_header(csv_.buffer());
    row_sequence sequence(planner_);
    for (std::uint64_t i = 0; i < options_.rows; ++i) {
      if (auto written = write_row(sequence.next(i)); !written) return written.error();
    }
    summary_.rows = options_.rows;
    summary_.csv_bytes = csv_.bytes_written() + csv_.buffer().size();
    if (auto closed = csv_.close(); !closed) return closed.error();
    if (auto closed = finish_lists(); !closed) return closed.error();
    if (!options_.expect_path.empty()) {
      if (auto written = write_text_file(options_.expect_path, expect_json(summary_) + "\n");
          !written) {
        return written.error();
      }
    }
    if (!options_.sim_fixture_path.empty()) {
      const fixture_sources lists{options_.existing.path, options_.block.path,
                                  options_.unsubscribed.path};
      if (auto written = write_sim_fixture(options_.sim_fixture_path, options_.campaign_id,
                                           options_.seed, lists);
          !written) {
        return written.error();
      }
    }
    return summary_;
  }

 private:
  gen_result<> open_lists() {
    const std::uint64_t key = planner_.seed_key();
    auto existing =
        open_list(options_.existing, summary_.eligible_rows, mix64(key ^ existing_salt));
    if (!existing) return existing.error();
    existing_ = std::move(*existing);
    auto block = open_list(options_.block, summary_.eligible_rows, mix64(key ^ block_salt));
    if (!block) return block.error();
    block_ = std::move(*block);
    auto unsub =
        open_list(options_.unsubscribed, summary_.eligible_rows, mix64(key ^ unsubscribed_salt));
    if (!unsub) return unsub.error();
    unsubscribed_ = std::move(*unsub);
    if (!block_) return {};
    std::string domain;
    for (std::uint32_t company : pick_blocked_companies(key, options_.block_domain_count)) {
      blocked_company_[company] = true;
      domain.clear();
      append_company_domain(domain, company);
      if (auto written = block_->write_line(domain); !written) return written;
    }
    return {};
  }

  gen_result<> finish_lists() {
    for (std::optional<list_writer>* list : {&existing_, &block_, &unsubscribed_}) {
      if (!*list) continue;
      if (auto finished = (*list)->finish(); !finished) return finished;
    }
    summary_.existing_hits = existing_ ? existing_->hits() : 0;
    summary_.block_hits = block_ ? block_->hits() : 0;
    summary_.unsubscribed_hits = unsubscribed_ ? unsubscribed_->hits() : 0;
    return {};
  }

  // Offers an eligible row to a list; writes it there when drawn and sets `hit`.
  gen_result<> offer(std::optional<list_writer>& list, bool& hit) {
    hit = list && list->draw();
    if (!hit) return {};
    return list->write_hit(address_);
  }

  // A valid or role row: the lists decide, in leadpipe's order (campaign, block, unsubscribe).
  gen_result<> classify_kept(const row_plan& own, bool eligible) {
    bool existing = false;
    bool blocked = uses_company_domain(own) && blocked_company_[own.company];
    bool unsubscribed = false;
    if (eligible) {
      // Every eligible row is offered to every list, whatever it was drawn for elsewhere, so that
      // each list's selection sampling sees exactly the rows it was sized for.
      bool block_hit = false;
      if (auto e = offer(existing_, existing); !e) return e;
      if (auto b = offer(block_, block_hit); !b) return b;
      if (auto u = offer(unsubscribed_, unsubscribed); !u) return u;
      blocked = blocked || block_hit;
    }
    outcome_counts& c = summary_.outcomes;
    if (existing) {
      ++c.already_in_campaign;
    } else if (blocked) {
      ++c.blocked;
    } else if (unsubscribed) {
      ++c.unsubscribed;
    } else {
      ++c.accepted;
    }
    return {};
  }

  gen_result<> write_row(const sequenced_row& row) {
    outcome_counts& c = summary_.outcomes;
    const row_plan* person = &row.own;
    address_.clear();
    switch (row.kind) {
      case row_kind::extra_field:
      case row_kind::short_row:
        ++c.malformed_row;
        break;
      case row_kind::missing:
        ++c.missing_email;
        break;
      case row_kind::invalid:
        ++c.invalid_email;
        break;
      case row_kind::duplicate:
        ++c.duplicate_in_file;
        person = &*row.source;
        break;
      case row_kind::disposable:
        ++c.dropped_risky;
        ++c.flag_disposable;
        break;
      case row_kind::placeholder:
        ++c.dropped_risky;
        ++c.flag_placeholder;
        break;
      case row_kind::role:
        ++c.flag_role;
        break;
      case row_kind::valid:
        break;
    }
    append_address(address_, *person);
    std::string_view cell = address_;
    if (row.kind == row_kind::duplicate) {
      variant_.clear();
      append_duplicate_variant(variant_, address_, has_ascii_domain(*person), row.own.noise >> 20);
      cell = variant_;
    } else if (row.kind == row_kind::valid || row.kind == row_kind::role) {
      if (auto kept = classify_kept(row.own, is_list_eligible(row)); !kept) return kept;
    }
    writer_.append_record(csv_.buffer(), *person, cell, row.own, scratch_);
    return csv_.flush_if_full();
  }

  const gen_options& options_;
  row_planner planner_;
  csv_writer writer_;
  output_sink csv_;
  std::optional<list_writer> existing_;
  std::optional<list_writer> block_;
  std::optional<list_writer> unsubscribed_;
  std::vector<bool> blocked_company_;
  gen_summary summary_;
  std::string address_;
  std::string variant_;
  std::string scratch_;
};

bool ends_with(std::string_view s, std::string_view suffix) noexcept {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

gen_error flag_error(std::string_view flag, std::string_view problem) {
  std::string message(flag);
  message += ": ";
  message += problem;
  return gen_error{std::move(message)};
}

gen_result<> validate_list(const list_options& list, std::string_view path_flag,
                           std::string_view count_flag, std::string_view rate_flag) {
  if (!(list.hit_rate >= 0.0 && list.hit_rate <= 1.0)) {
    return flag_error(rate_flag, "must be between 0 and 1");
  }
  if (list.path.empty() && (list.count > 0 || list.hit_rate > 0.0)) {
    std::string problem = "needs ";
    problem += path_flag;
    return flag_error(list.count > 0 ? count_flag : rate_flag, problem);
  }
  return {};
}

}  // namespace

gen_result<> validate_options(const gen_options& options) {
  if (options.out.empty()) return flag_error("--out", "must name a file or - for stdout");
  if (options.columns < 4 || options.columns > 10000) {
    return flag_error("--columns", "must be between 4 and 10000");
  }
  const row_rates& r = options.rates;
  const std::pair<std::string_view, double> rates[] = {{"--duplicate-rate", r.duplicate},
                                                       {"--invalid-rate", r.invalid},
                                                       {"--missing-rate", r.missing},
                                                       {"--risky-rate", r.risky},
                                                       {"--role-rate", r.role},
                                                       {"--multiline-rate", r.multiline},
                                                       {"--extra-column-rate", r.extra_column},
                                                       {"--short-row-rate", r.short_row},
                                                       {"--unicode-rate", r.unicode}};
  for (const auto& [flag, rate] : rates) {
    if (!(rate >= 0.0 && rate <= 1.0)) return flag_error(flag, "must be between 0 and 1");
  }
  const double exclusive =
      r.duplicate + r.invalid + r.missing + r.risky + r.role + r.extra_column + r.short_row;
  if (exclusive > 1.0 + 1e-9) {
    return flag_error("--duplicate/invalid/missing/risky/role/extra-column/short-row-rate",
                      "the rates of these exclusive row kinds sum to more than 1");
  }
  const std::string_view delimiters = ",;\t|";
  if (options.delimiter == '\0' || delimiters.find(options.delimiter) == std::string_view::npos) {
    return flag_error("--delimiter", "must be one of , ; | or a tab");
  }
  if (options.gzip_level < 0 || options.gzip_level > 9) {
    return flag_error("--gzip-level", "must be between 0 and 9");
  }
  if (auto v = validate_list(options.block, "--block-list", "--block-count", "--block-hit-rate");
      !v) {
    return v;
  }
  if (auto v = validate_list(options.unsubscribed, "--unsubscribed", "--unsubscribed-count",
                             "--unsubscribed-hit-rate");
      !v) {
    return v;
  }
  if (auto v =
          validate_list(options.existing, "--existing", "--existing-count", "--existing-hit-rate");
      !v) {
    return v;
  }
  if (options.block_domain_count > 0 && options.block.path.empty()) {
    return flag_error("--block-domain-count", "needs --block-list");
  }
  if (options.block_domain_count > company_count()) {
    return flag_error("--block-domain-count", "must be at most " + std::to_string(company_count()) +
                                                  " (the size of the company pool)");
  }
  if (options.sim_fixture_path.empty() != (options.campaign_id == 0)) {
    return options.campaign_id == 0 ? flag_error("--sim-fixture", "needs --campaign-id")
                                    : flag_error("--campaign-id", "needs --sim-fixture");
  }
  if (options.campaign_id < 0) return flag_error("--campaign-id", "must be positive");
  return {};
}

gen_result<gen_summary> generate(const gen_options& options) {
  if (auto valid = validate_options(options); !valid) return valid.error();
  auto csv = output_sink::open(options.out, options.gzip || ends_with(options.out, ".gz"),
                               options.gzip_level);
  if (!csv) return csv.error();
  generator gen(options, std::move(*csv));
  return gen.run();
}

std::string expect_json(const gen_summary& summary) {
  const outcome_counts& c = summary.outcomes;
  using entry = std::pair<std::string_view, std::uint64_t>;
  const entry outcomes[] = {{"accepted", c.accepted},
                            {"invalid_email", c.invalid_email},
                            {"missing_email", c.missing_email},
                            {"duplicate_in_file", c.duplicate_in_file},
                            {"already_in_campaign", c.already_in_campaign},
                            {"blocked", c.blocked},
                            {"unsubscribed", c.unsubscribed},
                            {"dropped_risky", c.dropped_risky},
                            {"malformed_row", c.malformed_row}};
  const entry flags[] = {{"role", c.flag_role},
                         {"disposable", c.flag_disposable},
                         {"placeholder", c.flag_placeholder}};
  std::string out;
  json_writer w(out);
  w.begin_object().key("rows").value(summary.rows);
  w.key("outcomes").begin_object();
  for (const auto& [name, count] : outcomes) w.key(name).value(count);
  w.end_object().key("flags").begin_object();
  for (const auto& [name, count] : flags) w.key(name).value(count);
  w.end_object().end_object();
  return out;
}

}  // namespace leadpipe::leadgen
