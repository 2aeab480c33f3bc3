#include "leadpipe/keyset.hpp"

#define XXH_INLINE_ALL
#include <xxhash.h>

namespace leadpipe {

fingerprint fingerprint_of(std::string_view key) noexcept {
  const XXH128_hash_t h = XXH3_128bits(key.data(), key.size());
  return fingerprint{h.low64, h.high64};
}

}  // namespace leadpipe
