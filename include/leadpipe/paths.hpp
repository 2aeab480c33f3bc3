#pragma once
// Where leadpipe keeps per-user files (journals, caches): the XDG base directories.

#include <cstdlib>
#include <string>

namespace leadpipe {

/// `$<xdg_var>/leadpipe` when that variable is set and not empty, else `$HOME/<home_dir>/leadpipe`,
/// else `fallback` (relative to the working directory). Thread-safe (reads the environment).
[[nodiscard]] inline std::string user_dir(const char* xdg_var, const char* home_dir,
                                          const char* fallback) {
  if (const char* x = std::getenv(xdg_var); x != nullptr && *x != '\0') {
    return std::string(x) + "/leadpipe";
  }
  if (const char* h = std::getenv("HOME"); h != nullptr && *h != '\0') {
    return std::string(h) + "/" + home_dir + "/leadpipe";
  }
  return fallback;
}

}  // namespace leadpipe
