#pragma once
// Crash safety for imports: an append-only journal in --state-dir, written and flushed to disk
// each time a batch is acknowledged. `leadpipe import --resume` reads it to send no acknowledged
// batch again and to continue the outcome files exactly where the last durable record left them.
//
// Format (text, one record per line, each line "<crc32 hex8> <payload>\n"; a torn or corrupt
// last line, the signature of a crash mid-write, is ignored; corruption anywhere else is an
// error):
//   I <json identity>                        first line: what job this is (version 1); a
//                                            string that is not UTF-8 (a Latin-1 path) is
//                                            stored hex-encoded under "<key>_hex"
//   K <batch> <watermark> <outcomes_bytes> <rejects_bytes> <n> <delta-encoded lines>
//   D <batch> <highest line>                 a batch is about to be sent (no sync: a killed
//                                            process loses nothing the kernel already has)
//   F <watermark> <outcomes_bytes> <rejects_bytes>        the job finished (a K after it: a
//                                            --resume reopened it to send again the leads it
//                                            could not import)
// A K record says: batch <batch> was acknowledged (its leads' outcomes are in the outcome files);
// every row up to input line <watermark> is settled or belongs to a batch, and the outcome
// files were <outcomes_bytes>/<rejects_bytes> long with all of that in them.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <boost/system/result.hpp>
#include <boost/unordered/unordered_flat_map.hpp>

namespace leadpipe {

/// Format version written in the identity record.
inline constexpr int journal_version = 1;

/// What makes a job the same job. Compared field by field on --resume.
struct journal_identity {
  std::string base_url;
  std::int64_t campaign_id = 0;
  std::string input_path;
  std::uint64_t input_size = 0;
  std::string input_xxh3;     ///< hash of the whole raw input
  std::string outcomes_path;  ///< outcome files of the first run (truncated on resume)
  std::string rejects_path;
  std::string settings;       ///< canonical text of the options that change outcomes
};

/// A durable point: what the outcome files held and how far the CPU side had read.
struct journal_checkpoint {
  std::uint64_t watermark_line = 0;
  std::uint64_t outcomes_bytes = 0;
  std::uint64_t rejects_bytes = 0;
};

/// Input lines, for the acknowledged set: 64-line bitmap words in a hash map keyed by the word's
/// index. Memory follows the lines present (about 20 bytes per 64-line block holding any), never
/// the largest line number, so a journal naming line 2^63 costs what line 1 costs. Not
/// thread-safe for writers.
class line_set {
 public:
  void insert(std::uint64_t line);
  [[nodiscard]] bool contains(std::uint64_t line) const;
  [[nodiscard]] std::uint64_t size() const { return count_; }

 private:
  boost::unordered_flat_map<std::uint64_t, std::uint64_t> words_;
  std::uint64_t count_ = 0;
};

/// Everything read back from a journal.
struct journal_state {
  journal_identity identity;
  journal_checkpoint last;          ///< the last durable checkpoint (zeros when none)
  line_set acked_lines;             ///< lines of leads in acknowledged batches
  std::uint64_t batches_acked = 0;
  std::uint64_t max_batch_id = 0;
  /// The highest input line of any batch that was (maybe) sent: a resumed run treats its resent
  /// leads up to here as possibly landed (already_in_campaign = added, confirmed on retry).
  std::uint64_t max_dispatched_line = 0;
  bool finished = false;
  bool torn_tail = false;           ///< the last line was incomplete and was ignored
  /// Bytes of the records read, the torn tail excluded: where journal_writer::reopen() appends.
  std::uint64_t durable_bytes = 0;
};

/// Reads a journal. Fails (message naming the file and line) when it is not a leadpipe journal,
/// its version is unknown, or a record other than the last is corrupt. Thread-safe.
[[nodiscard]] boost::system::result<journal_state> read_journal(const std::string& path,
                                                                std::string* message);

/// read_journal's parser over the journal's bytes in memory; `name` stands for the file in
/// messages ("<name>:<line>: ..."). Fails as read_journal does (errc::invalid_argument).
/// Thread-safe.
[[nodiscard]] boost::system::result<journal_state> parse_journal(std::string_view text,
                                                                 std::string_view name,
                                                                 std::string* message);

/// Appends records durably (write + fdatasync per record). Not thread-safe.
class journal_writer {
 public:
  /// Creates (truncates) `path` and writes the identity record. Throws std::runtime_error.
  static journal_writer create(const std::string& path, const journal_identity& id);
  /// Opens an existing journal for appending after read_journal(); drops a torn tail first (an
  /// unterminated last line or a last line whose checksum fails). Throws std::runtime_error,
  /// also when read_journal() would refuse the file.
  static journal_writer reopen(const std::string& path);
  journal_writer(journal_writer&& o) noexcept;
  journal_writer& operator=(journal_writer&&) = delete;
  journal_writer(const journal_writer&) = delete;
  journal_writer& operator=(const journal_writer&) = delete;
  ~journal_writer();

  /// Records an acknowledged batch and the checkpoint taken with it. `lines` in any order.
  /// Returns only when the record is on disk. Throws std::runtime_error on I/O failure.
  void record_batch(std::uint64_t batch_id, std::span<const std::uint64_t> lines,
                    const journal_checkpoint& cp);
  /// Records that batch `batch_id`, whose highest line is `max_line`, is about to be sent.
  /// Written without a sync. Throws std::runtime_error.
  void record_dispatch(std::uint64_t batch_id, std::uint64_t max_line);
  /// Records that the job finished (nothing left to resume). Throws std::runtime_error.
  void record_finished(const journal_checkpoint& cp);
  [[nodiscard]] const std::string& path() const { return path_; }

 private:
  journal_writer(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  void append(const std::string& payload, bool sync = true);
  std::string path_;
  int fd_ = -1;
};

/// The journal's file name for a job: "<dir>/import-<campaign>-<first 16 hex of input hash>.journal".
[[nodiscard]] std::string journal_path(const std::string& state_dir, std::int64_t campaign_id,
                                       const std::string& input_xxh3);

}  // namespace leadpipe
