#pragma once
// Seed data and settings from a JSON fixture (--fixture): accounts, clients, campaigns, leads,
// memberships, block list, unsubscribes, community bounce set, categories, options and faults.
// The format is documented with an example in docs/simulator.md and sim/fixtures/.

#include <cstdint>
#include <string>
#include <string_view>

#include <boost/system/result.hpp>

#include "sim/simulator.hpp"

namespace leadpipe::sim {

/// Builds a configuration from fixture text. Without "accounts", one account (id 1) with key
/// `api_key` is created; without "campaigns", none (use default_config() for the no-fixture
/// start). Time stamps absent from the fixture are `now_ms`. On any problem returns
/// invalid_argument and writes a lower-case message naming `origin` and the element to
/// `*message` ("demo.json: leads[3]: email is not a valid address"). Thread-safe.
[[nodiscard]] boost::system::result<sim_config> load_fixture(std::string_view json,
                                                             std::string_view origin,
                                                             std::string_view api_key,
                                                             std::int64_t now_ms,
                                                             std::string* message = nullptr);

/// Reads the file at `path` and calls load_fixture; an unreadable file is an error too.
[[nodiscard]] boost::system::result<sim_config> load_fixture_file(const std::string& path,
                                                                  std::string_view api_key,
                                                                  std::int64_t now_ms,
                                                                  std::string* message = nullptr);

}  // namespace leadpipe::sim
