#include "leadpipe/net/import_job.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>
#include <stdexcept>
#include <thread>
#include <tuple>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <fmt/format.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "batch_queue.hpp"
#include "leadpipe/csv.hpp"
#include "leadpipe/journal.hpp"
#include "leadpipe/ledger.hpp"
#include "leadpipe/net/api_client.hpp"
#include "leadpipe/output_file.hpp"
#include "leadpipe/progress.hpp"
#include "sender_pool.hpp"

namespace leadpipe::net {

namespace asio = boost::asio;

std::string file_digest(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) {
    throw source_error(source_errc::open_failed, fmt::format("{}: cannot open: {}", path,
                                                              std::strerror(errno)));
  }
  XXH3_state_t state;
  XXH3_128bits_reset(&state);
  std::vector<char> buf(std::size_t{1} << 20);
  std::size_t n = 0;
  while ((n = std::fread(buf.data(), 1, buf.size(), f)) > 0) XXH3_128bits_update(&state, buf.data(), n);
  const bool failed = std::ferror(f) != 0;
  std::fclose(f);
  if (failed) throw source_error(source_errc::read_failed, fmt::format("{}: read failed", path));
  XXH128_canonical_t c;
  XXH128_canonicalFromHash(&c, XXH3_128bits_digest(&state));
  std::string hex;
  for (unsigned char byte : c.digest) hex += fmt::format("{:02x}", byte);
  return hex;
}

namespace {

bool is_regular_file(const std::string& path) {
  struct stat st {};
  return path != "-" && ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

// A value in settings_text(): the text splits at spaces and the lists at commas, so those
// (and the escape itself) are written %20, %2C, %25.
std::string settings_value(std::string_view v) {
  std::string out;
  for (const char c : v) {
    if (c == ' ') out += "%20";
    else if (c == ',') out += "%2C";
    else if (c == '%') out += "%25";
    else out.push_back(c);
  }
  return out;
}

std::string settings_value_shown(std::string_view v) {
  std::string out;
  for (std::size_t i = 0; i < v.size(); ++i) {
    const std::string_view rest = v.substr(i);
    if (rest.starts_with("%20")) out.push_back(' ');
    else if (rest.starts_with("%2C")) out.push_back(',');
    else if (rest.starts_with("%25")) out.push_back('%');
    else {
      out.push_back(v[i]);
      continue;
    }
    i += 2;
  }
  return out;
}

// The options that change which rows end how, or what is sent for them: a resumed run must use
// the same ones. --map and --custom-field are recorded by value ("email:Work%20Email"), since
// another email column gives other rows other outcomes.
std::string settings_text(const import_options& o) {
  const auto& s = o.settings;
  const auto& m = o.cpu.mapping;
  std::vector<std::string> overrides;
  for (const auto& [field, header] : m.overrides) {
    overrides.push_back(fmt::format("{}:{}", name(field), settings_value(header)));
  }
  std::sort(overrides.begin(), overrides.end());  // the order they were given in is no setting
  std::string map;
  for (const std::string& entry : overrides) {
    if (!map.empty()) map.push_back(',');
    map += entry;
  }
  // The set of --custom-field columns matters, not the order they were given in.
  std::vector<std::string> only_sorted = m.only_custom;
  std::sort(only_sorted.begin(), only_sorted.end());
  only_sorted.erase(std::unique(only_sorted.begin(), only_sorted.end()), only_sorted.end());
  std::string only;
  for (const std::string& header : only_sorted) {
    if (!only.empty()) only.push_back(',');
    only += settings_value(header);
  }
  // How the input is read decides its rows: recorded when not the default (a journal of an
  // earlier version, without these keys, stands for the defaults).
  const csv_options defaults;
  const std::string delim = o.cpu.csv.delimiter == 0 ? "" : std::string(1, o.cpu.csv.delimiter);
  const std::string maxrec = o.cpu.csv.max_record_bytes == defaults.max_record_bytes
                                 ? ""
                                 : std::to_string(o.cpu.csv.max_record_bytes);
  return fmt::format(
      "block={} unsub={} bounce={} other={} ids={} drop={} fold={} lists={}|{}|{} map={} "
      "custom={} only={} enc={} delim={} maxrec={}",
      s.ignore_global_block_list, s.ignore_unsubscribe_list, s.ignore_community_bounce_list,
      s.ignore_duplicate_leads_in_other_campaign, s.return_lead_ids, o.cpu.drop_flags,
      o.cpu.email.fold_provider_aliases, settings_value(o.cpu.block_list),
      settings_value(o.cpu.unsubscribed), settings_value(o.cpu.existing), map, m.no_custom_fields,
      only, settings_value(o.cpu.source.encoding), settings_value(delim), maxrec);
}

using settings_fields = std::vector<std::pair<std::string, std::string>>;

settings_fields settings_split(std::string_view text) {
  settings_fields out;
  for (std::size_t at = 0; at < text.size();) {
    std::size_t end = text.find(' ', at);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view kv = text.substr(at, end - at);
    const std::size_t eq = kv.find('=');
    if (eq != std::string_view::npos) out.emplace_back(kv.substr(0, eq), kv.substr(eq + 1));
    at = end + 1;
  }
  return out;
}

// Whether a journal's recorded value of `key` means the same as today's. Journals of earlier
// versions recorded --map by its count and had no `only`: those compare as they can.
bool settings_same(const std::string& key, const std::string& was, const std::string& now) {
  if (was == now) return true;
  if (key == "map" && !was.empty() &&
      std::all_of(was.begin(), was.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    const std::size_t count = now.empty() ? 0 : 1 + static_cast<std::size_t>(std::count(now.begin(), now.end(), ','));
    return was == std::to_string(count);
  }
  return false;
}

// Pairs of (key, recorded value, today's value) that differ; a key an older journal lacks
// differs only when today's value is not the default (empty).
std::vector<std::tuple<std::string, std::string, std::string>> settings_changes(
    std::string_view before, std::string_view now) {
  const settings_fields a = settings_split(before);
  std::vector<std::tuple<std::string, std::string, std::string>> out;
  for (const auto& [key, v] : settings_split(now)) {
    const auto it = std::find_if(a.begin(), a.end(), [&](const auto& kv) { return kv.first == key; });
    const std::string was = it == a.end() ? std::string() : it->second;
    if (!settings_same(key, was, v)) out.emplace_back(key, was, v);
  }
  return out;
}

// What differs between two settings_text() strings, by the flags that set them: "--drop:
// placeholder,disposable then role" (the journal keeps the text, so its form stays as it is).
std::string settings_difference(std::string_view before, std::string_view now) {
  const auto flag_of = [](const std::string& key) -> std::string_view {
    if (key == "block") return "--ignore-global-block-list";
    if (key == "unsub") return "--ignore-unsubscribe-list";
    if (key == "bounce") return "--ignore-community-bounce-list";
    if (key == "other") return "--cross-campaign";
    if (key == "drop") return "--drop/--keep";
    if (key == "fold") return "--fold-provider-aliases";
    if (key == "lists") return "--block-list|--unsubscribed|--existing";
    if (key == "map") return "--map";
    if (key == "custom") return "--no-custom-fields";
    if (key == "only") return "--custom-field";
    if (key == "enc") return "--encoding";
    if (key == "delim") return "--delimiter";
    if (key == "maxrec") return "--max-record-bytes";
    return "return_lead_ids";
  };
  const auto shown = [](const std::string& key, std::string v) {
    if (key == "drop") {
      unsigned bits = 0;
      std::from_chars(v.data(), v.data() + v.size(), bits);
      v = flag_names(static_cast<std::uint8_t>(bits));
    } else if (key == "map" && !v.empty() &&
               std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      v += " override(s)";
    } else if (key == "map" || key == "only") {
      std::string list;
      for (std::size_t at = 0; at < v.size();) {
        std::size_t end = v.find(',', at);
        if (end == std::string::npos) end = v.size();
        std::string item = settings_value_shown(std::string_view(v).substr(at, end - at));
        if (key == "map") {
          const std::size_t colon = item.find(':');
          if (colon != std::string::npos) item = item.substr(0, colon) + "=" + item.substr(colon + 1);
        }
        list += fmt::format("{}'{}'", list.empty() ? "" : ", ", item);
        at = end + 1;
      }
      v = list;
    } else {
      v = settings_value_shown(v);
    }
    return v.empty() ? std::string("(none)") : v;
  };
  std::string out;
  for (const auto& [key, was, now_v] : settings_changes(before, now)) {
    out += fmt::format("{}{}: {} then, {} now", out.empty() ? "" : "; ", flag_of(key),
                       shown(key, was), shown(key, now_v));
  }
  return out.empty() ? fmt::format("'{}' then, '{}' now", before, now) : out;
}

// The CPU side's end of the queue: packs accepted leads into batches, hands local outcomes to
// the ledger, and once the job is stopping settles what it can no longer send.
class import_sink final : public lead_sink, public outcome_sink {
 public:
  import_sink(batch_options b, ledger& led, batch_queue& q, const std::atomic<int>& stop_outcome,
              std::atomic<std::size_t>& cap)
      : builder_(b), ledger_(led), queue_(q), stop_outcome_(stop_outcome), cap_(cap) {}

  void accept(const accepted_lead& a) override {
    accepted_.fetch_add(1, std::memory_order_relaxed);
    offset_.store(a.offset, std::memory_order_relaxed);
    const int stopped = stop_outcome_.load(std::memory_order_acquire);
    if (stopped >= 0) {
      row_result r;
      r.line = a.line;
      r.offset = a.offset;
      r.email = a.sent_email;
      r.what = static_cast<outcome>(stopped);
      r.reason = "stopped";
      r.flags = a.flags;
      ledger_.local(r);
      return;
    }
    const std::size_t cap = cap_.load(std::memory_order_relaxed);
    if (cap < builder_.options().max_leads) builder_.shrink_to(cap);
    if (builder_.add(a.line, a.sent_email, *a.lead)) push(builder_.take());
  }
  void local(const row_result& r) override { ledger_.local(r); }
  void row_finished(std::uint64_t line) override {
    rows_.fetch_add(1, std::memory_order_relaxed);
    ledger_.advance_watermark(line);
  }

  void finish() {
    done_.store(true, std::memory_order_relaxed);
    batch last = builder_.finish();
    if (!last.leads.empty()) push(std::move(last));
    queue_.close();
  }
  /// The input is read to its end: every lead is counted in accepted().
  [[nodiscard]] bool done() const { return done_.load(std::memory_order_relaxed); }
  /// Live counts for the progress line (read from the network thread).
  [[nodiscard]] std::uint64_t accepted() const { return accepted_.load(std::memory_order_relaxed); }
  [[nodiscard]] std::uint64_t rows() const { return rows_.load(std::memory_order_relaxed); }
  /// The input offset of the last accepted lead (the reading side's progress).
  [[nodiscard]] std::uint64_t offset() const { return offset_.load(std::memory_order_relaxed); }

 private:
  void push(batch b) {
    if (!queue_.push(b)) {
      const int stopped = stop_outcome_.load(std::memory_order_acquire);
      ledger_.settle_all(b, stopped >= 0 ? static_cast<outcome>(stopped) : outcome::not_imported_stopped,
                         "stopped", "the job stopped before this batch was sent", false);
    }
  }
  batch_builder builder_;
  ledger& ledger_;
  batch_queue& queue_;
  const std::atomic<int>& stop_outcome_;
  std::atomic<std::size_t>& cap_;
  std::atomic<std::uint64_t> accepted_{0};
  std::atomic<std::uint64_t> rows_{0};
  std::atomic<std::uint64_t> offset_{0};
  std::atomic<bool> done_{false};
};

// Counts batches without sending (--dry-run).
class dry_run_sink final : public lead_sink {
 public:
  explicit dry_run_sink(batch_options b) : builder_(b) {}
  void accept(const accepted_lead& a) override {
    ++leads_;
    if (builder_.add(a.line, a.sent_email, *a.lead)) {
      ++batches_;
      (void)builder_.take();
    }
  }
  std::uint64_t finish() {
    if (!builder_.finish().leads.empty()) ++batches_;
    return batches_;
  }
  [[nodiscard]] std::uint64_t leads() const { return leads_; }

 private:
  batch_builder builder_;
  std::uint64_t leads_ = 0;
  std::uint64_t batches_ = 0;
};

// An exclusive lock on "<journal>.lock", held for the whole job: a second import or --resume of
// the same input into the same campaign (a nightly run overlapping a slow one, a --resume of a
// job that is not dead) would resend its leads, share the journal and cut its outcome files
// under it. flock() locks go with the process, so a crash never leaves one behind; the file
// itself stays (removing it would race with the next run's open).
class job_lock {
 public:
  job_lock(const std::string& path, std::int64_t campaign_id) {
    fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0) {
      throw std::runtime_error(
          fmt::format("{}: cannot create the job's lock file: {}", path, std::strerror(errno)));
    }
    if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
      const int e = errno;
      ::close(fd_);
      fd_ = -1;
      if (e == EWOULDBLOCK) {
        throw std::runtime_error(fmt::format(
            "another import of this input into campaign {} is running (it holds {}): wait for "
            "it to end, or stop it before --resume",
            campaign_id, path));
      }
      throw std::runtime_error(fmt::format("{}: cannot lock: {}", path, std::strerror(e)));
    }
  }
  job_lock(job_lock&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  job_lock& operator=(job_lock&&) = delete;
  job_lock(const job_lock&) = delete;
  job_lock& operator=(const job_lock&) = delete;
  ~job_lock() {
    if (fd_ >= 0) ::close(fd_);
  }

 private:
  int fd_ = -1;
};

struct journal_setup {
  std::optional<job_lock> lock;
  std::optional<journal_writer> writer;
  std::optional<journal_state> resumed;
  std::optional<line_set> settled;  ///< lines of the kept outcome file (see resume_point)
  bool append_outcomes = false;
  bool append_rejects = false;
  bool already_finished = false;  ///< --resume of a job that had finished: nothing to do
};

std::uint64_t file_size_or_zero(const std::string& path) {
  std::error_code ec;
  const auto n = std::filesystem::file_size(path, ec);
  return ec ? 0 : n;
}

// Outcome and rejects files are our own CSV, read whole: a rejects record holds an input row of
// up to `input_limit` bytes, quoted (every quote doubled at worst), plus a few short cells.
csv_options own_csv(std::size_t input_limit) {
  csv_options c;
  c.delimiter = ',';
  c.max_record_bytes = std::min<std::size_t>(2 * input_limit + (std::size_t{64} << 10),
                                             std::size_t{1} << 30);
  c.max_raw_bytes = c.max_record_bytes;
  return c;
}

// What the (truncated) outcome file of an interrupted run holds: the input lines it settled,
// which a resumed run skips, and those it gave up on (retries exhausted, lead credit), which a
// resumed run sends again. Skipping exactly the kept lines matters after a graceful stop: the
// batches in flight settle after the last checkpoint, so their leads are on the server but their
// lines are cut off, and the cache may now list those leads as campaign members.
struct kept_outcomes {
  line_set settled;
  line_set retry;
  std::uint64_t retries = 0;
};

// An earlier run's outcome (or rejects) file, to read back: nullopt when it is empty. Throws
// std::runtime_error naming it when it cannot be read as our CSV.
std::optional<csv_reader> open_earlier(const std::string& path, std::size_t input_limit) {
  std::string message;
  auto reader = csv_reader::open(byte_source::open(path), own_csv(input_limit), &message);
  if (reader) return std::move(*reader);
  if (reader.error() == make_error_code(csv_errc::empty_input)) return std::nullopt;
  throw std::runtime_error(fmt::format("{}: cannot read the earlier outcomes: {}", path, message));
}

kept_outcomes read_kept_outcomes(const std::string& path, std::size_t input_limit) {
  kept_outcomes out;
  auto reader = open_earlier(path, input_limit);
  if (!reader) return out;
  csv_record rec;
  while (reader->next(rec)) {
    if (rec.fields.size() < 3) continue;
    const std::string_view f = rec.fields[0];
    std::uint64_t line = 0;
    if (std::from_chars(f.data(), f.data() + f.size(), line).ec != std::errc{}) continue;
    const std::string_view what = rec.fields[2];
    if (what == name(outcome::not_imported_retries_exhausted) ||
        what == name(outcome::not_imported_lead_credit)) {
      out.retry.insert(line);
      ++out.retries;
    } else {
      out.settled.insert(line);
    }
  }
  return out;
}

// The cache set a lead the server decided belongs in: a member (added, or already there) in
// `existing`, one it skipped for a list in that list; nullopt for any other outcome.
std::optional<cache_set> learned_set(outcome what) {
  switch (what) {
    case outcome::added:
    case outcome::already_in_campaign:
      return cache_set::existing;
    case outcome::blocked:
      return cache_set::blocked_emails;
    case outcome::unsubscribed:
      return cache_set::unsubscribed;
    case outcome::in_other_campaign:
      return cache_set::other_campaigns;
    default:
      return std::nullopt;
  }
}

// The cache sets of the server's decisions in an earlier run's outcome file (line, email,
// outcome, reason, detail, flags, by, ...): what the ledger would have taught the cache had that
// run finished. Emails written as formulas were guarded there ("'=x@y.io").
std::vector<std::pair<fingerprint, cache_set>> kept_members(const std::string& path,
                                                            std::size_t input_limit,
                                                            entry_keyer& keyer) {
  std::vector<std::pair<fingerprint, cache_set>> out;
  auto reader = open_earlier(path, input_limit);
  if (!reader) return out;
  csv_record rec;
  while (reader->next(rec)) {
    if (rec.fields.size() < 7 || rec.fields[6] != "server") continue;  // outcome_files' `by`
    const std::optional<outcome> what = outcome_from_name(rec.fields[2]);
    const std::optional<cache_set> set = what ? learned_set(*what) : std::nullopt;
    if (!set) continue;
    if (const auto k = keyer.email(unguard_cell(rec.fields[1]))) out.emplace_back(*k, *set);
  }
  return out;
}

// Rewrites our CSV file at `path` (atomically) without the records whose first field names a
// line in `drop`.
void drop_lines(const std::string& path, const line_set& drop, std::size_t input_limit) {
  auto reader = open_earlier(path, input_limit);
  if (!reader) return;
  output_file out(path, true);
  const auto& header = reader->header();
  for (std::size_t i = 0; i < header.size(); ++i) {
    if (i != 0) out.write(",");
    out.write(header[i]);
  }
  out.write("\n");
  csv_record rec;
  while (reader->next(rec)) {
    std::uint64_t line = 0;
    const std::string_view f = rec.fields.empty() ? std::string_view{} : rec.fields[0];
    if (std::from_chars(f.data(), f.data() + f.size(), line).ec == std::errc{} &&
        drop.contains(line)) {
      continue;
    }
    out.write(rec.raw);
    out.write("\n");
  }
  out.close();
}

// A new job over an unfinished one of the same input and campaign would resend its leads.
void refuse_unfinished(const std::string& path, std::int64_t campaign_id) {
  std::string msg;
  const auto st = read_journal(path, &msg);
  if (st && !st->finished) {
    throw std::runtime_error(fmt::format(
        "an unfinished import of this input into campaign {} exists ({}): rerun with --resume "
        "to finish it, or delete that journal to start over",
        campaign_id, path));
  }
}

// The state directory, with the product's form of message when it cannot be made.
void make_state_dir(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    throw std::runtime_error(
        fmt::format("{}: cannot create the state directory: {}", dir, ec.message()));
  }
}

journal_setup open_journal(const import_options& o, const endpoint& ep, report& rep) {
  journal_setup js;
  if (o.state_dir.empty()) {
    if (o.resume) throw std::runtime_error("--resume needs --state-dir (where the journal is)");
    return js;
  }
  if (!is_regular_file(o.cpu.input)) {
    if (o.resume) throw std::runtime_error("--resume needs the input to be a regular file");
    rep.warn("no journal: the input is not a regular file, so the job cannot be resumed after "
             "a crash");
    return js;
  }
  make_state_dir(o.state_dir);
  journal_identity id;
  id.base_url = ep.url();
  id.campaign_id = o.campaign_id;
  id.input_path = std::filesystem::absolute(o.cpu.input).string();
  id.input_size = std::filesystem::file_size(o.cpu.input);
  id.input_xxh3 = o.input_xxh3.empty() ? file_digest(o.cpu.input) : o.input_xxh3;
  id.outcomes_path = o.outcomes_path.empty() ? "" : std::filesystem::absolute(o.outcomes_path).string();
  id.rejects_path = o.rejects_path.empty() ? "" : std::filesystem::absolute(o.rejects_path).string();
  id.settings = settings_text(o);
  const std::string path = journal_path(o.state_dir, o.campaign_id, id.input_xxh3);
  if (!o.held_lock) js.lock.emplace(path + ".lock", o.campaign_id);
  const bool exists = std::filesystem::exists(path);
  std::string msg;
  if (!o.resume) {
    if (exists) refuse_unfinished(path, o.campaign_id);
    js.writer.emplace(journal_writer::create(path, id));
    return js;
  }
  if (!exists) {
    // An unfinished journal of this campaign for the same path: the file changed since.
    const std::string prefix = fmt::format("import-{}-", o.campaign_id);
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(o.state_dir, ec)) {
      const std::string name = entry.path().filename().string();
      if (!name.starts_with(prefix) || !name.ends_with(".journal")) continue;
      std::string why;
      const auto other = read_journal(entry.path().string(), &why);
      if (other && !other->finished && other->identity.input_path == id.input_path) {
        throw std::runtime_error(fmt::format(
            "nothing to resume: {} changed since the interrupted run, whose journal is {}; "
            "resume with the file as it was, or delete that journal to start over",
            o.cpu.input, entry.path().string()));
      }
    }
    // A run stopped before it imported anything (in its sync, say) leaves no journal: nothing
    // was sent, so the job starts from the beginning.
    rep.warn(fmt::format(
        "nothing to resume: no journal for this input and campaign {} in {}, so the interrupted "
        "run sent nothing (it stopped before importing, in its sync say): starting from the "
        "beginning",
        o.campaign_id, o.state_dir));
    js.writer.emplace(journal_writer::create(path, id));
    return js;
  }
  auto st = read_journal(path, &msg);
  if (!st) throw std::runtime_error(msg);
  const journal_identity& was = st->identity;
  if (was.input_xxh3 != id.input_xxh3 || was.input_size != id.input_size) {
    throw std::runtime_error(fmt::format("{}: the input changed since the journal was written; "
                                         "refusing to resume", o.cpu.input));
  }
  if (was.base_url != id.base_url || was.campaign_id != id.campaign_id) {
    throw std::runtime_error(fmt::format("the journal {} is for {} campaign {}, not {} campaign {}",
                                         path, was.base_url, was.campaign_id, id.base_url,
                                         id.campaign_id));
  }
  if (!settings_changes(was.settings, id.settings).empty()) {
    throw std::runtime_error(fmt::format(
        "the import settings differ from the interrupted run's: {}; resume with the same flags",
        settings_difference(was.settings, id.settings)));
  }
  // The earlier run's outcome files hold its rows up to the checkpoint, and the journal's
  // checkpoints are their lengths: the resume appends to them. Written elsewhere, the rows it
  // gave up on would stay "not imported" in the old file, and a crash of this run would cut the
  // old file to the new one's lengths.
  const auto same_file = [&](const std::string& before, const std::string& now,
                             std::string_view flag) {
    if (before.empty() || before == now || !std::filesystem::exists(before)) return;
    throw std::runtime_error(fmt::format(
        "the interrupted run wrote {} to {}: resume with {} {} (the resume appends to it)", flag,
        before, flag, before));
  };
  same_file(was.outcomes_path, id.outcomes_path, "--outcomes");
  same_file(was.rejects_path, id.rejects_path, "--rejects");
  const std::size_t limit = o.cpu.csv.max_record_bytes;
  const bool kept_outcomes_file = !was.outcomes_path.empty() &&
                                  was.outcomes_path == id.outcomes_path &&
                                  std::filesystem::exists(was.outcomes_path);
  // Read once: for a finished job before deciding whether there is anything to do (its
  // finish record's lengths are the files' whole lengths, so the truncation below cuts nothing),
  // otherwise after that truncation.
  std::optional<kept_outcomes> kept;
  if (st->finished) {
    if (kept_outcomes_file) kept = read_kept_outcomes(was.outcomes_path, limit);
    if (!kept || kept->retries == 0) {
      // The process died after the job's last record (or the user resumed twice): the outcome
      // files are complete, so there is nothing to do and nothing went wrong.
      rep.warnings.push_back(fmt::format(
          "nothing to resume: the import recorded in {} had finished; its outcome files are "
          "complete",
          path));
      js.already_finished = true;
      return js;
    }
  }
  std::fputs(fmt::format("leadpipe: resuming the import recorded in {} (it had read the input "
                         "up to line {}; rows without an outcome in its files are done again)\n",
                         path, st->last.watermark_line)
                 .c_str(),
             stderr);
  // The rows the earlier run settled are in its files, up to the lengths the journal recorded:
  // a file that is gone or shorter has lost them, and the resume would account for fewer rows
  // than the input has (QA: 7,000 outcome lines for 8,000 rows, exit 0).
  const auto intact = [&](const std::string& file, std::uint64_t recorded, std::string_view flag) {
    if (file.empty() || recorded == 0) return;
    std::error_code ec;
    const bool there = std::filesystem::exists(file, ec);
    const std::uint64_t size = there ? std::filesystem::file_size(file, ec) : 0;
    if (there && !ec && size >= recorded) return;
    throw std::runtime_error(fmt::format(
        "{} {} of the interrupted run {}: the rows it settled are not there to resume from; "
        "restore it, or delete the journal {} to start over (leads it added are then skipped "
        "by the server as already in the campaign)",
        flag, file,
        there
            ? fmt::format("is shorter than the journal recorded ({} bytes, {} now)", recorded, size)
            : std::string("is missing"),
        path));
  };
  intact(was.outcomes_path, st->last.outcomes_bytes, "--outcomes");
  intact(was.rejects_path, st->last.rejects_bytes, "--rejects");
  // The earlier run's files end at the last durable checkpoint; what follows is redone now.
  if (!was.outcomes_path.empty() && std::filesystem::exists(was.outcomes_path)) {
    truncate_file(was.outcomes_path, st->last.outcomes_bytes);
    js.append_outcomes = was.outcomes_path == id.outcomes_path && st->last.outcomes_bytes > 0;
  }
  if (!was.rejects_path.empty() && std::filesystem::exists(was.rejects_path)) {
    truncate_file(was.rejects_path, st->last.rejects_bytes);
    js.append_rejects = was.rejects_path == id.rejects_path && st->last.rejects_bytes > 0;
  }
  if (js.append_outcomes) {
    if (!kept) kept = read_kept_outcomes(was.outcomes_path, limit);
    if (kept->retries != 0) {
      // Leads the earlier run gave up on (answers lost or unreadable, 5xx to the end, lead
      // credit): sent again now; the server's answer confirms those that had landed.
      drop_lines(was.outcomes_path, kept->retry, limit);
      if (js.append_rejects) drop_lines(was.rejects_path, kept->retry, limit);
      rep.warnings.push_back(
          fmt::format("{} leads the earlier run could not import are sent again", kept->retries));
      std::fputs(fmt::format("leadpipe: {}\n", rep.warnings.back()).c_str(), stderr);
    }
    js.settled = std::move(kept->settled);
  }
  js.writer.emplace(journal_writer::reopen(path));
  if (js.append_outcomes && st->last.outcomes_bytes != file_size_or_zero(was.outcomes_path)) {
    // The kept files were rewritten without the leads sent again: record their new lengths at
    // once, so that a crash before this run's first batch does not truncate to the old ones.
    journal_checkpoint cp = st->last;
    cp.outcomes_bytes = file_size_or_zero(was.outcomes_path);
    if (js.append_rejects) cp.rejects_bytes = file_size_or_zero(was.rejects_path);
    js.writer->record_batch(st->max_batch_id, {}, cp);
    st->last = cp;
  }
  js.resumed = std::move(*st);
  return js;
}

// "rows 120,000 | sent 96,000 | added 95,990 | skipped 10 | requests 240 (59.8/min of 60/min)
//  | 429s 0 | eta 3:20": the ETA is the leads accepted but not yet settled, in requests, at the
// rate the limit allows.
std::string progress_text(const send_progress& p, const import_sink& sink, const ledger& led,
                          const import_options& o, std::chrono::steady_clock::time_point t0,
                          std::optional<std::uint64_t> input_size) {
  const double mins =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() / 60;
  const double per_min = mins > 0 ? static_cast<double>(p.requests.load()) / mins : 0.0;
  double limit_per_min = 0;
  for (const auto& r : o.limiter.rules.rules) {
    const double v = r.limit * 60000.0 / static_cast<double>(r.window.count());
    limit_per_min = limit_per_min == 0 ? v : std::min(limit_per_min, v);
  }
  const std::uint64_t settled = led.settled_leads();
  // The reading side waits for the senders (the queue is bounded), so the leads accepted so far
  // are only those of the batches near sending: the rest of the input, at the share of leads
  // its read part had, is still to come (QA: "eta 0:00" through a whole run).
  double accepted = static_cast<double>(sink.accepted());
  const std::uint64_t at = sink.offset();
  if (input_size && at > 0 && at < *input_size && !sink.done()) {
    accepted *= static_cast<double>(*input_size) / static_cast<double>(at);
  }
  const double settled_d = static_cast<double>(settled);
  const double left = accepted > settled_d ? accepted - settled_d : 0.0;
  const double requests_left =
      std::ceil(left / static_cast<double>(std::max<std::size_t>(o.batching.max_leads, 1)));
  std::string text = fmt::format("rows {} | sent {} | added {} | skipped {} | requests {} ({:.1f}/min",
                                 sink.rows(), p.leads_sent.load(), p.added.load(), p.skipped.load(),
                                 p.requests.load(), per_min);
  text += limit_per_min > 0 ? fmt::format(" of {:.0f}/min)", limit_per_min) : std::string(")");
  text += fmt::format(" | 429s {} | in flight {}", p.rate_limited.load(), p.in_flight.load());
  if (limit_per_min > 0) text += " | eta " + progress_line::clock(requests_left / limit_per_min * 60.0);
  return text;
}

// Lends the cache's sets to the pipeline: moved when the pipeline has none of its own (no list
// file for that set), else copied in. Returns which were moved, to give them back after the run.
std::array<bool, cache_set_count> lend_cache(sync_cache& cache, server_sets& sets) {
  std::array<bool, cache_set_count> moved{};
  const auto lend = [&](cache_set which, key_set& into) {
    key_set& from = cache[which].keys;
    if (into.empty()) {
      into = std::move(from);
      from = key_set{};
      moved[static_cast<std::size_t>(which)] = true;
    } else {
      for (const fingerprint& f : from) into.insert(f);
    }
  };
  lend(cache_set::existing, sets.existing);
  lend(cache_set::blocked_emails, sets.blocked_emails);
  lend(cache_set::blocked_domains, sets.blocked_domains);
  lend(cache_set::unsubscribed, sets.unsubscribed);
  lend(cache_set::other_campaigns, sets.other_campaigns);
  return moved;
}

void return_cache(sync_cache& cache, server_sets& sets, const std::array<bool, cache_set_count>& moved) {
  const auto give_back = [&](cache_set which, key_set& from) {
    if (moved[static_cast<std::size_t>(which)]) cache[which].keys = std::move(from);
  };
  give_back(cache_set::existing, sets.existing);
  give_back(cache_set::blocked_emails, sets.blocked_emails);
  give_back(cache_set::blocked_domains, sets.blocked_domains);
  give_back(cache_set::unsubscribed, sets.unsubscribed);
  give_back(cache_set::other_campaigns, sets.other_campaigns);
}

// The gap between the cache and the truth: leads the server skipped for a reason a fresh cache
// would have caught, per set and in all.
void count_cache_gap(report& rep, network_stats& n) {
  const auto& by = rep.by_server();
  const std::array<std::pair<std::string_view, outcome>, 4> gaps{{
      {"existing", outcome::already_in_campaign},
      {"block_list", outcome::blocked},
      {"unsubscribed", outcome::unsubscribed},
      {"other_campaigns", outcome::in_other_campaign},
  }};
  for (const auto& [set, what] : gaps) {
    n.server_skipped_after_cache += by[what];
    for (auto& st : rep.sets) {
      if (st.name == set) st.server_skipped = by[what];
    }
  }
}

int dry_run(const import_options& o, report& rep) {
  cpu_options cpu = o.cpu;
  cpu.record_accepted = true;
  cpu_pipeline pipe(cpu, rep);
  std::fputs(pipe.banner().c_str(), stderr);
  std::array<bool, cache_set_count> lent{};
  if (o.cache != nullptr) lent = lend_cache(*o.cache, pipe.sets());
  outcome_files files(o.outcomes_path, o.rejects_path);
  file_outcome_sink outcomes(files, rep);
  dry_run_sink sink(o.batching);
  pipe.run(sink, outcomes, rep);
  std::fputs(pipe.closing().c_str(), stderr);
  if (o.cache != nullptr) return_cache(*o.cache, pipe.sets(), lent);
  files.close();
  const std::uint64_t batches = sink.finish();
  const auto t = time_to_send(o.limiter, batches);
  rep.network.emplace();
  rep.network->base_url = o.base_url;
  rep.network->campaign_id = o.campaign_id;
  rep.network->rate_limit = to_string(o.limiter.rules);
  rep.network->batches = batches;
  rep.settings["dry_run"] = "true";
  std::fputs(fmt::format("leadpipe: dry run: {} leads would go in {} requests; under {} that "
                         "takes at least {}\n",
                         sink.leads(), batches, to_string(o.limiter.rules),
                         progress_line::clock(std::chrono::duration<double>(t).count()))
                 .c_str(),
             stderr);
  return 0;
}

}  // namespace

void lock_import(import_options& o) {
  if (o.dry_run || o.state_dir.empty() || !is_regular_file(o.cpu.input)) return;
  make_state_dir(o.state_dir);
  o.input_xxh3 = file_digest(o.cpu.input);
  const std::string path = journal_path(o.state_dir, o.campaign_id, o.input_xxh3);
  o.held_lock = std::make_shared<const job_lock>(path + ".lock", o.campaign_id);
  o.journal_found = std::filesystem::exists(path);
  if (!o.resume && o.journal_found) refuse_unfinished(path, o.campaign_id);
}

int run_import(const import_options& o, report& rep, const std::atomic<bool>& stop,
               const std::atomic<bool>& abandon) {
  std::string msg;
  auto ep = parse_base_url(o.base_url, &msg);
  if (!ep) throw std::runtime_error(msg);
  if (o.dry_run) return dry_run(o, rep);

  journal_setup js = open_journal(o, *ep, rep);
  if (js.already_finished) {
    std::fputs(fmt::format("leadpipe: {}\n", rep.warnings.back()).c_str(), stderr);
    return 0;
  }
  std::optional<asio::ssl::context> tls;
  if (ep->tls) tls.emplace(make_client_tls_context(o.tls));

  cpu_options cpu = o.cpu;
  cpu.record_accepted = false;
  cpu_pipeline pipe(cpu, rep);
  std::fputs(pipe.banner().c_str(), stderr);
  std::array<bool, cache_set_count> lent{};
  if (o.cache != nullptr) lent = lend_cache(*o.cache, pipe.sets());
  // A resumed job's earlier run may have died before teaching the cache what its journaled
  // batches settled: taught now, from its outcome file, before this run appends to it.
  std::vector<std::pair<fingerprint, cache_set>> kept;
  if (o.cache != nullptr && js.append_outcomes) {
    entry_keyer keyer(pipe.validator());
    kept = kept_members(o.outcomes_path, o.cpu.csv.max_record_bytes, keyer);
  }
  outcome_files files(o.outcomes_path, o.rejects_path, js.append_outcomes, js.append_rejects);
  ledger led(rep, files, js.writer ? &*js.writer : nullptr);
  // What the server said of leads it was sent: added or in the campaign, or on one of its
  // lists; cached afterwards, so that a rerun neither sends them again nor misses them.
  // Kept as the cache's keys (24 bytes a lead; the sets are lent to the pipeline until the end
  // of the run), not as the addresses: those cost about 100 bytes per added lead (QA: 327 MB
  // peak for a 2M-lead import against 85 MB for its dry run). Computed under the ledger's lock,
  // which serialises the calls.
  std::vector<std::pair<fingerprint, cache_set>> learned;
  entry_keyer learn_keys(pipe.validator());
  if (o.cache != nullptr) {
    led.on_member = [&learned, &learn_keys](std::string_view email, outcome what) {
      const std::optional<cache_set> set = learned_set(what);
      // Sent forms are already normalised: the validator gives back the same identity key the
      // pipeline used for the row.
      if (!set) return;
      if (const auto k = learn_keys.email(email)) learned.emplace_back(*k, *set);
    };
  }

  const std::size_t concurrency = o.concurrency == 0 ? 16 : o.concurrency;
  asio::io_context io(1);
  batch_queue queue(std::max<std::size_t>(4, concurrency * 2), io.get_executor());
  const std::shared_ptr<rate_limiter> limiter_owner =
      o.limiter_shared ? o.limiter_shared : std::make_shared<rate_limiter>(o.limiter);
  rate_limiter& limiter = *limiter_owner;
  retry_policy retry(o.retry);
  std::atomic<std::size_t> cap{o.batching.max_leads};
  send_config cfg;
  cfg.ep = *ep;
  cfg.api_key = o.api_key;
  cfg.campaign_id = o.campaign_id;
  cfg.settings = o.settings;
  cfg.max_in_flight = concurrency;
  cfg.limits = o.limits;
  batch_options bopts = o.batching;
  resume_point resume;
  if (js.resumed) {
    cfg.maybe_landed_up_to = std::max(js.resumed->max_dispatched_line, js.resumed->last.watermark_line);
    bopts.first_id = js.resumed->max_batch_id + 1;
    resume.watermark = js.resumed->last.watermark_line;
    resume.acked = &js.resumed->acked_lines;
    if (js.settled) resume.settled = &*js.settled;
    // The outcome files already hold everything up to the earlier run's watermark.
    led.advance_watermark(resume.watermark);
    rep.settings["resumed_from"] = js.writer->path();
  }
  sender_pool pool(io, tls ? &*tls : nullptr, cfg, limiter, retry, led, queue, cap);
  import_sink sink(bopts, led, queue, pool.stop_outcome(), cap);

  // The CPU side runs on its own thread; the network side on this one.
  std::atomic<bool> cpu_done{false};
  std::exception_ptr cpu_error;
  std::thread cpu_thread([&] {
    try {
      pipe.run(sink, sink, rep, resume, &stop);
      sink.finish();
    } catch (...) {
      cpu_error = std::current_exception();
      // An input that cannot be read on (bytes not valid in its encoding, a truncated gzip):
      // the rows before were read whole, so the batch being packed is sent with the queued
      // ones; the error names the last line read, and those rows get their outcomes (QA: the
      // leads of the last, unfinished batch were left without any).
      if (!led.failure()) {
        try {
          sink.finish();
        } catch (...) {
        }
      }
      queue.close();  // finish() has closed it, unless it could not run
      // An outcome file that cannot be written (a full disk): the batches still queued are not
      // sent, since their outcomes could not be recorded.
      if (auto why = led.failure()) {
        asio::post(io, [&pool, why = std::move(*why)] {
          pool.request_stop({outcome::not_imported_stopped, why});
        });
      }
    }
    cpu_done.store(true, std::memory_order_release);
  });

  pool.start();
  progress_line progress(o.cpu.progress);
  const std::optional<std::uint64_t> input_size = pipe.offset_size();
  const auto t0 = std::chrono::steady_clock::now();
  asio::steady_timer tick(io);
  bool stop_seen = false;
  bool abandon_seen = false;
  std::function<void()> arm = [&] {
    tick.expires_after(std::chrono::milliseconds(100));
    tick.async_wait([&](const boost::system::error_code& ec) {
      if (ec) return;
      if (stop.load() && !stop_seen) {
        stop_seen = true;
        pool.request_stop({outcome::not_imported_stopped, "stopped by a signal"});
      }
      if (abandon.load() && !abandon_seen) {
        abandon_seen = true;
        pool.abandon();
      }
      if (progress.enabled()) {
        progress.update(progress_text(pool.progress, sink, led, o, t0, input_size));
      }
      if (!(cpu_done.load() && pool.finished())) arm();
    });
  };
  arm();
  // run() returns once the senders are done and the tick has seen the CPU side finish.
  io.run();
  cpu_thread.join();
  progress.clear();
  std::fputs(pipe.closing().c_str(), stderr);
  if (o.cache != nullptr) {
    return_cache(*o.cache, pipe.sets(), lent);
    for (const auto& [k, set] : learned) (*o.cache)[set].keys.insert(k);
    for (const auto& [k, set] : kept) (*o.cache)[set].keys.insert(k);
  }
  const bool stopped = pool.stopped().has_value();
  // A ledger that could not write (a full disk) has thrown where it failed; the files are not
  // touched again.
  if (!stopped && !cpu_error && !led.failure()) {
    try {
      led.finish();
    } catch (const ledger_error&) {
    }
  }
  if (!led.failure()) {
    // After an input that broke, the rows before it have their outcomes, written out now; its
    // error, not this one, is what the run reports (below).
    try {
      files.close();
    } catch (const std::exception&) {
      if (!cpu_error) throw;
    }
  }

  const rate_limiter_stats ls = limiter.stats();
  const retry_stats rs = retry.stats();
  network_stats n;
  n.base_url = ep->url();
  n.campaign_id = o.campaign_id;
  n.rate_limit = to_string(o.limiter.rules);
  for (const auto& [k, v] : pool.requests_by_status) n.requests[k] = v;
  n.retries = pool.resends;
  n.batches = pool.batches;
  n.unattributed = pool.unattributed;
  n.leads_sent = pool.progress.leads_sent.load();
  add_limiter_stats(n, ls);
  if (auto w = limit_mismatch_warning(o.limiter.rules, ls); !w.empty()) rep.warn(std::move(w));
  const auto warn = [&rep](std::string w) { rep.warn(std::move(w)); };
  if (pool.gateway_timeouts != 0) {
    warn(fmt::format(
        "{} answers were 504: a gateway between leadpipe and the API gave up waiting for the "
        "answer (those batches were sent again); answers take longer for bigger batches, so a "
        "smaller --batch-size (such as {}) makes each quicker",
        pool.gateway_timeouts, std::max<std::size_t>(50, o.batching.max_leads / 4)));
  }
  if (pool.guessed_added != 0) {
    std::uint64_t skips = 0;
    for (const auto& [k, v] : pool.unattributed) skips += v;
    warn(fmt::format(
        "the server's answers gave counts but did not name {} skipped leads (no "
        "emailToLeadIdMap, skipped_leads or lists for them): {} leads of those batches are "
        "settled added with reason by_count in batch order and the rest as server_skipped "
        "(not_imported_lead_credit when credit ran out), so some of these rows may be swapped "
        "(the counts are right; "
        "network.unattributed_skips has the reasons); `leadpipe leads export` lists who is in "
        "the campaign",
        skips, pool.guessed_added));
  }
  if (const std::size_t final_cap = cap.load(); final_cap < o.batching.max_leads) {
    // The batch size the job ended with: a size complaint or a 413 cut it (§8.1).
    rep.settings["batch_size_final"] = std::to_string(final_cap);
    warn(pool.too_large != 0
             ? fmt::format(
                   "{} requests were refused as too large (413: a proxy's or the server's body "
                   "limit, which lies between {} bytes, the largest body that went through, and "
                   "{}, the smallest refused): batches were cut to {} leads for the rest of the "
                   "run; --max-body-bytes just under that limit (nginx's client_max_body_size, "
                   "say 64k: 65000) packs each batch up to it instead",
                   pool.too_large, pool.largest_accepted_body, pool.smallest_refused_body,
                   final_cap)
             : fmt::format("the server refused a batch as too large: batches were cut to {} "
                           "leads for the rest of the run; --batch-size {} avoids the refusals",
                           final_cap, final_cap));
  }
  if (pool.answer_timeouts != 0) {
    warn(fmt::format(
        "{} requests got no answer within --request-timeout ({:g} s) after they were sent (the "
        "server may have done the work: those batches were sent again); answers take longer "
        "for bigger batches, so a smaller --batch-size (such as {}) or a longer "
        "--request-timeout lets them come",
        pool.answer_timeouts, static_cast<double>(o.limits.request.count()) / 1000.0,
        std::max<std::size_t>(50, o.batching.max_leads / 4)));
  }
  if (pool.gave_up_maybe_landed != 0) {
    warn(fmt::format(
        "{} leads not imported after their retries ran out had an attempt that got no answer "
        "(a timeout, a 5xx, a broken connection) and may have been added: `--resume` sends "
        "them again and confirms those the campaign holds",
        pool.gave_up_maybe_landed));
  }
  if (pool.stopped_maybe_landed != 0) {
    warn(
        fmt::format("{} leads not imported when the job stopped had an earlier attempt that got "
                    "no answer and may have been added: --resume confirms them",
                    pool.stopped_maybe_landed));
  }
  // What the server's skips say about the settings: each is a hint with the flag to change.
  const auto& by_server = rep.by_server();
  if (!o.cpu.filter.skip_in_other_campaigns && by_server[outcome::in_other_campaign] != 0) {
    warn(fmt::format(
        "the server skipped {} leads as in another campaign although --cross-campaign allow asked "
        "it to take them: this server reads ignore_duplicate_leads_in_other_campaign the other "
        "way round, so --cross-campaign-semantics {} matches it (README, contract 7.3)",
        by_server[outcome::in_other_campaign],
        o.settings.ignore_duplicate_leads_in_other_campaign ? "observed" : "documented"));
  }
  if (o.cache != nullptr) {
    std::uint64_t gap = 0;
    for (const outcome w :
         {outcome::already_in_campaign, outcome::blocked, outcome::unsubscribed}) {
      gap += by_server[w];
    }
    // Other campaigns' members are a cached set only when they are skipped first.
    if (o.cpu.filter.skip_in_other_campaigns) gap += by_server[outcome::in_other_campaign];
    if (gap != 0) {
      warn(fmt::format(
          "the server skipped {} leads that the cached sets did not list (the cache is older "
          "than the server's lists, or, for unsubscribed leads, the API cannot show them): they "
          "are in the cache now; --refresh fetches every set again before a run",
          gap));
    }
  } else if (o.cpu.filter.skip_in_other_campaigns && by_server[outcome::in_other_campaign] != 0) {
    warn(fmt::format(
        "the server skipped {} leads as in another campaign: without the cache (--no-cache) "
        "leadpipe has no list of other campaigns' members to skip them first",
        by_server[outcome::in_other_campaign]));
  }
  const double minutes = rep.seconds() / 60.0;
  n.leads_per_minute = minutes > 0 ? static_cast<double>(rep.outcomes()[outcome::added]) / minutes : 0;
  if (o.cache != nullptr) count_cache_gap(rep, n);
  rep.network = n;
  (void)rs;
  // The network side's figures are in the report before a CPU-side error ends the job (the
  // caller writes the report with exit 3).
  if (cpu_error) std::rethrow_exception(cpu_error);
  if (const auto failed = led.failure()) throw std::runtime_error(*failed);
  if (stopped) rep.stop_reason = pool.stopped()->message;

  const auto& c = rep.outcomes();
  const bool fatal = stopped && (pool.stopped()->what == outcome::not_imported_auth ||
                                 pool.stopped()->what == outcome::not_imported_campaign_missing ||
                                 pool.stopped()->message.rfind("tls:", 0) == 0);
  if (fatal) return 3;
  const std::uint64_t not_imported =
      c[outcome::not_imported_lead_credit] + c[outcome::not_imported_retries_exhausted] +
      c[outcome::not_imported_stopped] + c[outcome::not_imported_auth] +
      c[outcome::not_imported_campaign_missing] + c[outcome::rejected_by_server];
  return not_imported > 0 || stopped ? 1 : 0;
}

}  // namespace leadpipe::net
