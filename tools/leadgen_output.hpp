#pragma once
// Buffered file output for leadpipe-gen: plain or gzip (zlib, with a fixed gzip header so the
// bytes are the same on every machine), to a path or to standard output ("-").

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>

#include <boost/system/result.hpp>

namespace leadpipe::leadgen {

/// A generator failure, with a lower-case message that names the file (`out.csv: ...`).
struct gen_error {
  std::string message;
};

/// Lets `result<T, gen_error>::value()` throw; the message becomes a std::runtime_error.
[[noreturn]] void throw_exception_from_error(const gen_error& e, const boost::source_location& loc);

template <class T = void>
using gen_result = boost::system::result<T, gen_error>;

/// One output file. Callers append to buffer() and call flush_if_full() now and then; the
/// sink writes in large blocks. Move-only; owns its FILE and zlib stream. Not thread-safe.
class output_sink {
 public:
  /// Opens `path` for writing ("-" = standard output). `gzip` compresses at `gzip_level`
  /// (1..9). Fails when the file cannot be created or zlib cannot start.
  [[nodiscard]] static gen_result<output_sink> open(const std::string& path, bool gzip,
                                                    int gzip_level = 6);

  output_sink(output_sink&&) noexcept;
  output_sink& operator=(output_sink&&) noexcept;
  ~output_sink();

  /// The pending bytes; append freely, then call flush_if_full().
  [[nodiscard]] std::string& buffer() noexcept { return buffer_; }

  /// Writes the buffer out once it holds a block or more. Fails on a write error.
  [[nodiscard]] gen_result<> flush_if_full() {
    if (buffer_.size() < block_size) return {};
    return flush(false);
  }

  /// Writes everything, ends the gzip stream and closes the file (standard output is flushed,
  /// not closed). Fails on any write or close error. The sink is unusable afterwards.
  [[nodiscard]] gen_result<> close();

  /// Uncompressed bytes handed to the sink so far (flushed ones).
  [[nodiscard]] std::uint64_t bytes_written() const noexcept { return bytes_; }
  [[nodiscard]] const std::string& path() const noexcept { return path_; }

  static constexpr std::size_t block_size = std::size_t{1} << 20;

 private:
  struct file_closer {
    void operator()(std::FILE* f) const noexcept;
  };
  struct gzip_state;  // zlib's stream and header, defined in the .cpp
  output_sink(std::string path, std::FILE* file, bool gzip);

  [[nodiscard]] gen_result<> flush(bool finish);
  [[nodiscard]] gen_result<> write_raw(const char* data, std::size_t size);
  [[nodiscard]] gen_error error(const char* what, int errnum) const;

  std::string path_;
  std::unique_ptr<std::FILE, file_closer> file_;
  // A z_stream must not move once initialised (zlib keeps a pointer back to it): heap-held.
  std::unique_ptr<gzip_state> gzip_;
  std::string buffer_;
  std::string compressed_;
  std::uint64_t bytes_ = 0;
};

}  // namespace leadpipe::leadgen
