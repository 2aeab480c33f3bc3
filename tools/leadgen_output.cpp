#include "leadgen_output.hpp"

#include <zlib.h>

#include <cerrno>
#include <limits>
#include <stdexcept>
#include <system_error>
#include <utility>

namespace leadpipe::leadgen {

// The header is set explicitly (no name, mtime 0, OS "unknown") because zlib's default OS byte
// depends on the platform zlib was built for, and the output must match byte for byte everywhere.
struct output_sink::gzip_state {
  z_stream stream{};
  gz_header header{};
  bool initialised = false;

  gzip_state() { header.os = 255; }
  gzip_state(const gzip_state&) = delete;
  gzip_state& operator=(const gzip_state&) = delete;
  ~gzip_state() {
    if (initialised) deflateEnd(&stream);
  }
};

void throw_exception_from_error(const gen_error& e, const boost::source_location&) {
  throw std::runtime_error(e.message);
}

void output_sink::file_closer::operator()(std::FILE* f) const noexcept {
  if (f != nullptr && f != stdout) std::fclose(f);
}

output_sink::output_sink(std::string path, std::FILE* file, bool gzip)
    : path_(std::move(path)), file_(file) {
  if (gzip) gzip_ = std::make_unique<gzip_state>();
  buffer_.reserve(block_size + block_size / 4);
}

output_sink::output_sink(output_sink&&) noexcept = default;
output_sink& output_sink::operator=(output_sink&&) noexcept = default;
output_sink::~output_sink() = default;

gen_error output_sink::error(const char* what, int errnum) const {
  std::string message = path_ == "-" ? std::string("stdout") : path_;
  message += ": ";
  message += what;
  if (errnum != 0) {
    message += ": ";
    message += std::generic_category().message(errnum);
  }
  return gen_error{std::move(message)};
}

gen_result<output_sink> output_sink::open(const std::string& path, bool gzip, int gzip_level) {
  std::FILE* file = path == "-" ? stdout : std::fopen(path.c_str(), "wb");
  if (file == nullptr) {
    return gen_error{path + ": cannot create: " + std::generic_category().message(errno)};
  }
  output_sink sink(path, file, gzip);
  if (gzip) {
    gzip_state& gz = *sink.gzip_;
    // windowBits 15 + 16 asks zlib for a gzip wrapper rather than a zlib one.
    if (deflateInit2(&gz.stream, gzip_level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
      return sink.error("cannot start gzip compression", 0);
    }
    gz.initialised = true;
    if (deflateSetHeader(&gz.stream, &gz.header) != Z_OK) {
      return sink.error("cannot set the gzip header", 0);
    }
    sink.compressed_.resize(block_size);
  }
  return sink;
}

gen_result<> output_sink::write_raw(const char* data, std::size_t size) {
  if (size == 0) return {};
  if (std::fwrite(data, 1, size, file_.get()) != size) return error("write failed", errno);
  return {};
}

gen_result<> output_sink::flush(bool finish) {
  if (!file_) return error("write after close", 0);
  bytes_ += buffer_.size();
  if (!gzip_) {
    auto written = write_raw(buffer_.data(), buffer_.size());
    buffer_.clear();
    return written;
  }
  if (buffer_.size() > std::numeric_limits<uInt>::max()) return error("block too large", 0);
  z_stream& z = gzip_->stream;
  z.next_in = reinterpret_cast<Bytef*>(buffer_.data());
  z.avail_in = static_cast<uInt>(buffer_.size());
  for (;;) {
    z.next_out = reinterpret_cast<Bytef*>(compressed_.data());
    z.avail_out = static_cast<uInt>(compressed_.size());
    const int rc = deflate(&z, finish ? Z_FINISH : Z_NO_FLUSH);
    if (rc == Z_STREAM_ERROR) return error("gzip compression failed", 0);
    auto written = write_raw(compressed_.data(), compressed_.size() - z.avail_out);
    if (!written) return written;
    if (finish ? rc == Z_STREAM_END : (z.avail_in == 0 && z.avail_out != 0)) break;
  }
  buffer_.clear();
  return {};
}

gen_result<> output_sink::close() {
  auto flushed = flush(true);
  if (!flushed) return flushed;
  std::FILE* file = file_.release();
  if (file == stdout) {
    if (std::fflush(file) != 0) return error("write failed", errno);
  } else if (std::fclose(file) != 0) {
    return error("close failed", errno);
  }
  return {};
}

}  // namespace leadpipe::leadgen
