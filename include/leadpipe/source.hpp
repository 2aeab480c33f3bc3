#pragma once
// Stage 1a of the flow (source -> csv -> ...): turns a path, `-` (standard input) or a memory
// buffer into a stream of UTF-8 bytes: gzip is undone, a byte-order mark is removed, UTF-16/32
// and legacy encodings are converted with ICU. Memory stays bounded whatever the input size.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace leadpipe {

/// What went wrong with an input as a whole. Every kind is fatal for the run.
enum class source_errc {
  open_failed = 1,    ///< the path cannot be opened or is not a readable file
  read_failed,        ///< read(2) failed part-way
  corrupt_gzip,       ///< bad gzip data, CRC mismatch, or non-gzip bytes after a member
  truncated_gzip,     ///< the input ends inside a gzip member
  unknown_encoding,   ///< the encoding name is not known to ICU
  undecodable_input,  ///< bytes that are not valid in the input's encoding
  stopped,            ///< source_options::stop turned true while a read waited for input
};

/// Thrown by byte_source (and so by csv_reader, which reads through it) when the input as a whole
/// cannot be read. what() is lower-case and starts with the input's name, for example
/// `leads.csv.gz: truncated gzip data (input ends inside a member)`. main maps code() to an exit
/// code. An exception rather than a result because none of these is recoverable mid-run.
class source_error : public std::runtime_error {
 public:
  source_error(source_errc code, const std::string& message)
      : std::runtime_error(message), code_(code) {}
  [[nodiscard]] source_errc code() const noexcept { return code_; }

 private:
  source_errc code_;
};

/// How a byte_source decodes its input.
struct source_options {
  /// Empty or any UTF-8 alias: UTF-8 input, passed through unchanged (invalid bytes are left for
  /// the validation stage). Any other name known to ICU ("windows-1252", "latin1", "utf-16le",
  /// "shift_jis"...) is converted to UTF-8. "auto": the first MiB of the (decompressed) input
  /// decides between UTF-16LE/BE without a mark (mostly-NUL odd/even bytes), UTF-8 (valid UTF-8),
  /// Mac Roman ("macintosh": anything else, with lines ending in a lone CR) and windows-1252. A
  /// byte-order mark at the start always wins over this setting: UTF-8 BOMs are removed,
  /// UTF-16/UTF-32 BOMs select that encoding.
  std::string encoding;
  /// Upper bound on the bytes one read() returns and on each read of the underlying file;
  /// 0 means no bound. Tests set 1 or odd sizes to exercise every split point.
  std::size_t max_chunk = 0;
  /// A stop request (a signal): while a read of a pipe, terminal or socket waits for input, this
  /// is looked at every 200 ms, and once true the read throws source_error(stopped). Reads of
  /// regular files never wait, so they are not interrupted. Null: reads wait as long as it takes.
  const std::atomic<bool>* stop = nullptr;
};

/// Whether `encoding` names an encoding --encoding accepts: "auto", or a name ICU knows (the
/// latin1 family counts as windows-1252). Lets the command line refuse a wrong name as a usage
/// error before anything runs.
[[nodiscard]] bool encoding_known(std::string_view encoding);

/// A readable input: file, standard input or memory, with gzip (detected by the magic bytes
/// 1f 8b, multi-member files included) and encoding handled. It also tracks, for the report and
/// the journal, how many raw bytes were consumed, the raw size when known, and an xxh3-128 hash
/// of the raw bytes read so far (the whole input's hash once read() has returned 0).
///
/// Owns its file descriptor (never standard input's) and bounded buffers (at most ~600 KiB).
/// Movable, not copyable. Not thread-safe: use one instance from one thread at a time.
class byte_source {
 public:
  /// Opens `path`, or standard input when `path` is "-", and sniffs the first bytes (this may
  /// block on a pipe). Throws source_error(open_failed) when the path cannot be opened or is a
  /// directory, source_error(unknown_encoding) for an encoding ICU does not know, and any
  /// read-time source_error raised by the sniffing reads.
  [[nodiscard]] static byte_source open(std::string_view path, const source_options& options = {});

  /// Reads from `data`, which the caller keeps alive and unchanged for the source's lifetime.
  /// `name` is used in messages. Throws like open() except for open_failed.
  [[nodiscard]] static byte_source from_memory(std::string_view data, std::string name,
                                               const source_options& options = {});

  byte_source(byte_source&&) noexcept;
  byte_source& operator=(byte_source&&) noexcept;
  byte_source(const byte_source&) = delete;
  byte_source& operator=(const byte_source&) = delete;
  ~byte_source();

  /// Copies up to `n` (> 0) decoded UTF-8 bytes to `out`; returns how many, 0 only at the end of
  /// the input. Blocks on pipes. Throws source_error on I/O errors, corrupt or truncated gzip and
  /// undecodable input; after a throw the source must not be read again.
  [[nodiscard]] std::size_t read(char* out, std::size_t n);

  /// The name used in messages: the path, "<stdin>", or the name given to from_memory.
  [[nodiscard]] const std::string& name() const noexcept;
  /// Raw (still compressed, still encoded) bytes consumed so far; for progress.
  [[nodiscard]] std::uint64_t raw_bytes_read() const noexcept;
  /// For a regular file read to its end: how it changed while it was read (its size or
  /// modification time at the end differs from its opening, or the bytes read from its size
  /// then), as "N bytes when opened, M bytes read, K bytes at the end[, modified meanwhile]";
  /// empty otherwise. An export rewritten in place under a running job gives a mix of versions.
  [[nodiscard]] const std::string& changed_while_read() const noexcept;
  /// Raw size of a regular file or memory input; nullopt for pipes and devices.
  [[nodiscard]] std::optional<std::uint64_t> raw_size() const noexcept;
  /// xxh3-128 of the raw bytes consumed so far, as 32 lower-case hex digits (canonical,
  /// big-endian form, as `xxhsum -H2` prints it).
  [[nodiscard]] std::string raw_digest() const;
  /// True when the input is gzip-compressed.
  [[nodiscard]] bool compressed() const noexcept;
  /// The encoding actually used: "utf-8", the encoding named by a byte-order mark ("utf-16le",
  /// "utf-16be", "utf-32le", "utf-32be"), the one "auto" chose ("utf-16le", "utf-16be",
  /// "windows-1252", "macintosh"), or source_options::encoding as given.
  [[nodiscard]] const std::string& encoding() const noexcept;
  /// True when the input starts with a byte-order mark (which then chose encoding()).
  [[nodiscard]] bool has_bom() const noexcept;

 private:
  struct impl;  // the stage chain, defined in pipeline/source.cpp
  explicit byte_source(std::unique_ptr<impl> p);
  std::unique_ptr<impl> impl_;
};

}  // namespace leadpipe
