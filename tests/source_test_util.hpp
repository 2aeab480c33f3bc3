#pragma once
// Test helpers shared by source_test and csv_test: gzip and UTF-16 encoders, temporary files,
// and reading a byte_source to its end.

#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <string_view>

#include <zlib.h>

#include "leadpipe/source.hpp"
#include "leadpipe/utf8.hpp"

namespace leadpipe::test {

/// One gzip member holding `data` (zlib, gzip framing).
inline std::string gzip(std::string_view data, int level = 6) {
  z_stream zs{};
  if (deflateInit2(&zs, level, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    throw std::runtime_error("deflateInit2 failed");
  }
  std::string out(deflateBound(&zs, static_cast<uLong>(data.size())) + 32, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  if (rc != Z_STREAM_END) throw std::runtime_error("deflate failed");
  return out;
}

/// `utf8_text` as UTF-16 (little- or big-endian), with a byte-order mark when `bom`.
inline std::string utf16(std::string_view utf8_text, bool little_endian, bool bom = true) {
  std::string out;
  const auto unit = [&](std::uint32_t u) {
    const auto hi = static_cast<char>((u >> 8) & 0xFFU);
    const auto lo = static_cast<char>(u & 0xFFU);
    out += little_endian ? lo : hi;
    out += little_endian ? hi : lo;
  };
  if (bom) unit(0xFEFF);
  for (std::size_t i = 0; i < utf8_text.size();) {
    const std::size_t len = utf8::sequence_length(utf8_text, i);
    if (len == 0) throw std::runtime_error("utf16(): input is not UTF-8");
    const auto cp = static_cast<std::uint32_t>(utf8::decode(utf8_text, i, len));
    if (cp >= 0x10000) {
      unit(0xD800 + ((cp - 0x10000) >> 10));
      unit(0xDC00 + ((cp - 0x10000) & 0x3FFU));
    } else {
      unit(cp);
    }
    i += len;
  }
  return out;
}

/// A file under the temporary directory, removed on destruction; `tag` makes the name unique
/// within one test process (the process id separates concurrent runs).
class temp_file {
 public:
  temp_file(std::string_view tag, std::string_view content) {
    path_ = (std::filesystem::temp_directory_path() /
             ("leadpipe-test-" + std::to_string(::getpid()) + "-" + std::string(tag)))
                .string();
    std::ofstream f(path_, std::ios::binary);
    f.write(content.data(), static_cast<std::streamsize>(content.size()));
    if (!f) throw std::runtime_error("cannot write " + path_);
  }
  temp_file(const temp_file&) = delete;
  temp_file& operator=(const temp_file&) = delete;
  ~temp_file() {
    std::error_code ec;
    std::filesystem::remove(path_, ec);
  }
  [[nodiscard]] const std::string& path() const { return path_; }

 private:
  std::string path_;
};

/// Everything `source` yields, read in `buffer`-byte calls.
inline std::string read_all(byte_source& source, std::size_t buffer = 65536) {
  std::string out;
  std::string chunk(buffer, '\0');
  for (;;) {
    const std::size_t got = source.read(chunk.data(), chunk.size());
    if (got == 0) return out;
    out.append(chunk.data(), got);
  }
}

}  // namespace leadpipe::test
