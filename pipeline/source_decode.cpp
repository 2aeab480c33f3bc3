// Encoding conversion stage of byte_source: any ICU converter to UTF-8, streaming through a
// pivot buffer of UTF-16 so that memory stays bounded.
#include "source_stages.hpp"

#include <algorithm>
#include <array>
#include <cstring>

#include <fmt/format.h>
#include <unicode/ucnv.h>

namespace leadpipe::source_detail {
namespace {

constexpr std::size_t input_bytes = std::size_t{64} << 10;
constexpr std::size_t pivot_units = std::size_t{8} << 10;

struct converter_closer {
  void operator()(UConverter* c) const noexcept { ucnv_close(c); }
};
using converter_ptr = std::unique_ptr<UConverter, converter_closer>;

converter_ptr open_converter(const char* canonical) {
  UErrorCode err = U_ZERO_ERROR;
  converter_ptr c(ucnv_open(canonical, &err));
  if (U_FAILURE(err) || c == nullptr) return nullptr;
  return c;
}

class decode_stage final : public stage {
 public:
  decode_stage(stage& upstream, const std::string& name, const std::string& canonical,
               const std::string& label, std::size_t first_offset)
      : up_(upstream),
        name_(name),
        canonical_(canonical),
        label_(label.empty() ? canonical : label),
        from_(open_converter(canonical.c_str())),
        to_utf8_(open_converter("UTF-8")),
        in_(new char[input_bytes]),
        src_(in_.get()),
        src_end_(in_.get()),
        fed_(first_offset) {
    if (from_ == nullptr || to_utf8_ == nullptr) {
      fail(source_errc::unknown_encoding, name_, fmt::format("unknown encoding '{}'", canonical));
    }
    // Stop instead of substituting: silently turning bytes into U+FFFD would hide a wrong
    // --encoding choice; the caller gets a clear error with the byte position instead.
    UErrorCode err = U_ZERO_ERROR;
    ucnv_setToUCallBack(from_.get(), UCNV_TO_U_CALLBACK_STOP, nullptr, nullptr, nullptr, &err);
    ucnv_setFromUCallBack(to_utf8_.get(), UCNV_FROM_U_CALLBACK_STOP, nullptr, nullptr, nullptr,
                          &err);
  }

  std::size_t read(char* out, std::size_t n) override {
    if (!pending_.empty()) return hand_out_pending(out, out, out + n);
    if (flushed_) return 0;
    char* target = out;
    while (target == out) {
      if (src_ == src_end_ && !in_eof_) refill();
      UErrorCode err = U_ZERO_ERROR;
      ucnv_convertEx(to_utf8_.get(), from_.get(), &target, out + n, &src_, src_end_, pivot_.data(),
                     &pivot_source_, &pivot_target_, pivot_.data() + pivot_.size(), reset_,
                     in_eof_ ? 1 : 0, &err);
      reset_ = false;
      if (err == U_BUFFER_OVERFLOW_ERROR) break;  // `out` is full; ICU keeps the overflow
      if (U_FAILURE(err)) {
        pending_ = problem(err);  // reported once what came before the bad bytes is out
        return hand_out_pending(out, target, out + n);
      }
      if (in_eof_) {
        flushed_ = true;
        break;
      }
    }
    return static_cast<std::size_t>(target - out);
  }

 private:
  void refill() {
    fed_ += static_cast<std::size_t>(src_end_ - in_.get());
    const std::size_t got = up_.read(in_.get(), input_bytes);
    src_ = in_.get();
    src_end_ = in_.get() + got;
    if (got == 0) in_eof_ = true;
  }

  // ICU stops at bad bytes with the text before them still in the pivot: it is written out
  // (as far as `end` allows) before the problem is reported.
  void flush_pivot(char*& target, char* end) {
    UErrorCode err = U_ZERO_ERROR;
    const UChar* pivot = pivot_source_;
    ucnv_fromUnicode(to_utf8_.get(), &target, end, &pivot, pivot_target_, nullptr, 0, &err);
    pivot_source_ = pivot_.data() + (pivot - pivot_.data());
  }

  // Once bad bytes were met: what is decoded, in [out, target) and in the pivot, goes out first
  // (its rows are read and get their outcomes); with nothing left, the problem is reported.
  std::size_t hand_out_pending(char* out, char* target, char* end) {
    flush_pivot(target, end);
    if (target == out) fail(source_errc::undecodable_input, name_, pending_);
    return static_cast<std::size_t>(target - out);
  }

  [[nodiscard]] std::string problem(UErrorCode err) const {
    std::array<char, 32> bad{};
    auto bad_len = static_cast<std::int8_t>(bad.size());
    UErrorCode e2 = U_ZERO_ERROR;
    ucnv_getInvalidChars(from_.get(), bad.data(), &bad_len, &e2);
    if (U_FAILURE(e2)) bad_len = 0;
    const auto shown = static_cast<std::size_t>(std::max<int>(bad_len, 0));
    const std::size_t consumed = fed_ + static_cast<std::size_t>(src_ - in_.get());
    const std::size_t at = consumed - std::min(consumed, shown);
    std::string hex;
    for (std::size_t i = 0; i < shown; ++i) {
      hex += fmt::format("{}{:02x}", i == 0 ? "" : " ", static_cast<unsigned char>(bad[i]));
    }
    if (err == U_TRUNCATED_CHAR_FOUND) {
      return fmt::format("input ends inside a {} character (bytes {} at byte {})", label_, hex, at);
    }
    return fmt::format(
        "bytes not valid in {} at byte {} ({}); is the file in another "
        "encoding? (--encoding)",
        label_, at, hex);
  }

  stage& up_;
  const std::string& name_;
  std::string canonical_;
  std::string label_;  // the encoding as the user (or the byte-order mark) named it
  converter_ptr from_;
  converter_ptr to_utf8_;
  std::unique_ptr<char[]> in_;
  const char* src_;
  const char* src_end_;
  std::size_t fed_;  // bytes of the undecoded stream before in_[0]
  bool in_eof_ = false;
  bool flushed_ = false;
  std::string pending_;  // the decoding problem the next read reports
  UBool reset_ = true;
  std::array<UChar, pivot_units> pivot_{};
  UChar* pivot_source_ = pivot_.data();
  UChar* pivot_target_ = pivot_.data();
};

}  // namespace

namespace {
// The WHATWG Encoding Standard's rule, which is also what spreadsheets do: text labelled latin1 is
// decoded as windows-1252. Its bytes 0x80-0x9F are printable punctuation (curly quotes,
// euro sign, dashes) where true ISO-8859-1 has C1 control codes that never occur in real exports.
std::string whatwg_label(std::string_view encoding) {
  std::string lower;
  for (char c : encoding) lower.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c);
  for (std::string_view alias : {"latin1", "latin-1", "l1", "iso-8859-1", "iso8859-1",
                                 "iso_8859-1", "iso-ir-100", "ibm819", "cp819", "cp1252", "x-cp1252"}) {
    if (lower == alias) return "windows-1252";
  }
  return std::string(encoding);
}
}  // namespace

std::string canonical_encoding(std::string_view encoding, const std::string& name) {
  std::string wanted = whatwg_label(encoding);
  UErrorCode err = U_ZERO_ERROR;
  const converter_ptr c(ucnv_open(wanted.c_str(), &err));
  if (U_FAILURE(err) || c == nullptr) {
    fail(source_errc::unknown_encoding, name,
         fmt::format("unknown encoding '{}' (try utf-8, windows-1252, latin1, utf-16le)", wanted));
  }
  const char* canonical = ucnv_getName(c.get(), &err);
  if (U_FAILURE(err) || canonical == nullptr) return wanted;
  return canonical;
}

bool is_utf8(std::string_view canonical) { return canonical == "UTF-8"; }

}  // namespace leadpipe::source_detail

namespace leadpipe {

bool encoding_known(std::string_view encoding) {
  if (encoding.empty() || encoding == "auto") return true;
  try {
    (void)source_detail::canonical_encoding(encoding, "--encoding");
    return true;
  } catch (const source_error&) {
    return false;
  }
}

}  // namespace leadpipe

namespace leadpipe::source_detail {

std::unique_ptr<stage> make_decoder(stage& upstream, const std::string& name,
                                    const std::string& canonical, const std::string& label,
                                    std::size_t first_offset) {
  return std::make_unique<decode_stage>(upstream, name, canonical, label, first_offset);
}

}  // namespace leadpipe::source_detail
