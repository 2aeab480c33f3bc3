#pragma once
// The CPU side of the flow, wired: source -> csv -> map -> validate -> dedup -> filter. It
// decides every row it can decide locally, writes those outcomes, and hands each accepted lead
// to a lead_sink (the --out writer for `validate`, the batcher for `import`). This is the only
// file that names every CPU stage.

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "leadpipe/csv.hpp"
#include "leadpipe/email.hpp"
#include "leadpipe/journal.hpp"
#include "leadpipe/mapping.hpp"
#include "leadpipe/outcome_files.hpp"
#include "leadpipe/progress.hpp"
#include "leadpipe/report.hpp"
#include "leadpipe/server_sets.hpp"
#include "leadpipe/source.hpp"

namespace leadpipe {

/// Everything the CPU stages need to know. Plain data, filled from the command line.
struct cpu_options {
  std::string input = "-";     ///< path, or "-" for standard input
  source_options source;
  csv_options csv;
  mapping_options mapping;
  email_options email;
  std::uint8_t drop_flags = risk::disposable | risk::placeholder;
  filter_options filter;
  std::string block_list;      ///< list files (empty: none)
  std::string unsubscribed;
  std::string existing;
  progress_mode progress = progress_mode::automatic;
  /// Write and count `accepted` outcomes for accepted rows (validate). The import leaves that to
  /// the network side, which learns the final outcome.
  bool record_accepted = true;
};

/// A lead that passed every local check. Views are valid during the sink call only.
struct accepted_lead {
  std::uint64_t line = 0;
  std::uint64_t offset = 0;
  std::string_view sent_email;
  std::string_view identity_key;
  std::uint8_t flags = 0;
  /// The mapped lead; null only for a sink that reads_cells(), when the record's text is valid
  /// UTF-8 without NUL (no cell needs repair): the sink then reads `cells` itself.
  const lead_view* lead = nullptr;
  /// The record held no quote, CR or comma other than its delimiters and was valid UTF-8, so
  /// no cell of `lead` needs quotes in comma-separated output (put_plain_csv_value).
  bool plain_cells = false;
  /// The record's cells, as the column mapping numbers them (untrimmed).
  std::span<const std::string_view> cells;
};

/// Where accepted leads go (ripgrep's sink: a narrow consumer interface).
class lead_sink {
 public:
  virtual ~lead_sink() = default;
  /// Takes one accepted lead. May block (back-pressure from the network side).
  virtual void accept(const accepted_lead& lead) = 0;
  /// True when the sink can do without a lead_view for rows whose cells need no repair
  /// (accepted_lead::lead null, accepted_lead::cells read instead): mapping every row into one
  /// costs as much as writing it.
  [[nodiscard]] virtual bool reads_cells() const noexcept { return false; }
};

/// Where locally decided rows go: the outcome files and the report (validate), or the import's
/// ledger, which shares them with the network side.
class outcome_sink {
 public:
  virtual ~outcome_sink() = default;
  /// A row settled locally.
  virtual void local(const row_result& r) = 0;
  /// Every row up to `line` is settled or handed to the lead sink.
  virtual void row_finished(std::uint64_t line) { (void)line; }
};

/// Writes local outcomes straight to the files and counts them (single-threaded use).
class file_outcome_sink final : public outcome_sink {
 public:
  file_outcome_sink(outcome_files& files, report& rep) : files_(files), rep_(rep) {}
  // Counted first: a row read is decided whether or not its line could be written, so that the
  // report of a run stopped by a full disk still adds up.
  void local(const row_result& r) override {
    rep_.count(r.what, r.by);
    files_.write(r);
  }

 private:
  outcome_files& files_;
  report& rep_;
};

/// Where a resumed import picks up: rows up to `watermark` were settled by the earlier run
/// (their outcomes are in its files) unless they are accepted leads not in `acked`.
struct resume_point {
  std::uint64_t watermark = 0;
  const line_set* acked = nullptr;
  /// The lines whose outcome the earlier run's outcome file still holds after its truncation
  /// to the checkpoint, when the run continues that file: exactly these rows are skipped. Without
  /// it, rows decided locally now, or in `acked`, are (a row the cache now says is in the
  /// campaign may have been a lead of an unacknowledged batch then).
  const line_set* settled = nullptr;
};

/// The CPU pipeline for one input. Construction opens the input, reads and maps the header and
/// loads the list files: it throws source_error, std::runtime_error (mapping, lists) on the
/// start-up problems that end a run. Not thread-safe; one thread drives run().
class cpu_pipeline {
 public:
  cpu_pipeline(const cpu_options& opts, report& rep);
  ~cpu_pipeline();
  cpu_pipeline(const cpu_pipeline&) = delete;
  cpu_pipeline& operator=(const cpu_pipeline&) = delete;

  [[nodiscard]] const column_mapping& mapping() const;
  /// The server sets, so the import can add cached sets before run().
  [[nodiscard]] server_sets& sets();
  [[nodiscard]] const email_validator& validator() const;
  /// What a command prints when the input is open: the column mapping, the encoding when it is
  /// not UTF-8 (and how it was chosen), and the warnings opening the input added to the report.
  [[nodiscard]] std::string banner() const;
  /// The input's size in the offsets rows carry (a plain UTF-8 file's size), for estimating
  /// how much of it is left; nullopt when they differ (gzip, another encoding, a pipe).
  [[nodiscard]] std::optional<std::uint64_t> offset_size() const noexcept;
  /// Whether run() ended at a stop request, before the end of the input.
  [[nodiscard]] bool stopped() const noexcept;
  /// What a command prints when run() is over: the warnings it added to the report (rows that
  /// were not UTF-8, with the --encoding to try), one "leadpipe: warning:" line each.
  [[nodiscard]] std::string closing() const;
  /// The mapping as the JSON object the report records.
  [[nodiscard]] std::string mapping_json() const;

  /// Reads to the end of the input (or until `*stop` turns true, at a row boundary), handing
  /// local outcomes to `outcomes`, accepted leads to `sink`, and counting rows, flags and set
  /// hits into `rep`. With `resume`, rows the earlier run settled are read (deduplication needs
  /// them) but neither written nor handed on; they count as resumed_rows. Throws source_error
  /// when the input breaks mid-way, output_error when an output cannot be written.
  void run(lead_sink& sink, outcome_sink& outcomes, report& rep, const resume_point& resume = {},
           const std::atomic<bool>* stop = nullptr);

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

/// The --out writer: accepted leads in sent form, header = lead fields then custom fields.
class csv_lead_writer final : public lead_sink {
 public:
  /// Opens `path` atomically and writes the header for `mapping`. Throws output_error.
  csv_lead_writer(const std::string& path, const column_mapping& mapping);
  void accept(const accepted_lead& lead) override;
  [[nodiscard]] bool reads_cells() const noexcept override { return true; }
  /// Flushes and renames into place. Throws output_error.
  void close();

 private:
  void accept_cells(const accepted_lead& lead);

  output_file out_;
  const column_mapping& mapping_;
  std::string json_;  // the custom_fields column's object, rebuilt per lead
  bool phone_customs_ = false;  // some custom column holds phone numbers (column_mapping::phone_like)
};

/// A sink that only counts (validate without --out).
class counting_sink final : public lead_sink {
 public:
  void accept(const accepted_lead&) override { ++count_; }
  [[nodiscard]] bool reads_cells() const noexcept override { return true; }
  [[nodiscard]] std::uint64_t count() const { return count_; }

 private:
  std::uint64_t count_ = 0;
};

}  // namespace leadpipe
