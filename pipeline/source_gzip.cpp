// gzip decompression stage of byte_source (zlib inflate, streaming, multi-member).
#include "source_stages.hpp"

#include <algorithm>
#include <climits>
#include <new>

#include <fmt/format.h>
#include <zlib.h>

namespace leadpipe::source_detail {
namespace {

constexpr std::size_t input_bytes = std::size_t{256} << 10;

class gunzip_stage final : public stage {
 public:
  gunzip_stage(stage& upstream, const std::string& name)
      : up_(upstream), name_(name), in_(new char[input_bytes]) {
    // 16 + MAX_WBITS: gzip framing only; the caller has already seen the magic bytes.
    if (inflateInit2(&zs_, 16 + MAX_WBITS) != Z_OK) throw std::bad_alloc();
  }
  gunzip_stage(const gunzip_stage&) = delete;
  gunzip_stage& operator=(const gunzip_stage&) = delete;
  ~gunzip_stage() override { inflateEnd(&zs_); }

  std::size_t read(char* out, std::size_t n) override {
    if (done_) return 0;
    const auto want = static_cast<uInt>(std::min<std::size_t>(n, UINT_MAX));
    zs_.next_out = reinterpret_cast<Bytef*>(out);
    zs_.avail_out = want;
    // Loop until some output exists: a call may consume only a header or an empty member.
    while (zs_.avail_out == want) {
      if (zs_.avail_in == 0 && !in_eof_) refill();
      if (zs_.avail_in == 0 && in_eof_) {
        if (in_member_)
          fail(source_errc::truncated_gzip, name_,
               "truncated gzip data (input ends inside a member)");
        done_ = true;
        break;
      }
      if (!in_member_) {
        // A new member starts wherever the previous one ended (multi-member files, `cat a.gz
        // b.gz`); inflateReset keeps the pending input.
        if (members_ > 0 && inflateReset(&zs_) != Z_OK) throw std::bad_alloc();
        in_member_ = true;
        member_fresh_ = true;
      }
      inflate_step();
    }
    return want - zs_.avail_out;
  }

 private:
  void refill() {
    const std::size_t got = up_.read(in_.get(), input_bytes);
    if (got == 0) {
      in_eof_ = true;
      return;
    }
    zs_.next_in = reinterpret_cast<Bytef*>(in_.get());
    zs_.avail_in = static_cast<uInt>(got);
  }

  void inflate_step() {
    const int rc = inflate(&zs_, Z_NO_FLUSH);
    if (rc == Z_STREAM_END) {
      in_member_ = false;
      ++members_;
      return;
    }
    if (rc == Z_OK || rc == Z_BUF_ERROR) {  // Z_BUF_ERROR: input ran dry, refill next round
      member_fresh_ = false;
      return;
    }
    if (rc == Z_MEM_ERROR) throw std::bad_alloc();
    if (members_ > 0 && member_fresh_) {
      fail(source_errc::corrupt_gzip, name_,
           fmt::format("data after gzip member {} is not gzip ({})", members_,
                       zs_.msg != nullptr ? zs_.msg : "bad header"));
    }
    fail(source_errc::corrupt_gzip, name_,
         fmt::format("corrupt gzip data in member {} ({})", members_ + 1,
                     zs_.msg != nullptr ? zs_.msg : "inflate failed"));
  }

  stage& up_;
  const std::string& name_;
  z_stream zs_{};
  std::unique_ptr<char[]> in_;
  bool in_eof_ = false;
  bool in_member_ = false;
  bool member_fresh_ = false;
  bool done_ = false;
  unsigned long members_ = 0;
};

}  // namespace

std::unique_ptr<stage> make_gunzip(stage& upstream, const std::string& name) {
  return std::make_unique<gunzip_stage>(upstream, name);
}

}  // namespace leadpipe::source_detail
