#pragma once
// `leadpipe block add|list|remove`: the account's global block list (contract §6.10) through the
// shared rate limiter: entries checked locally and sent in requests of at most 1,000, the list
// paged to CSV, entries removed by id.

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "api_flags.hpp"
#include "workflow_cli.hpp"

namespace leadpipe::cli {

struct block_args {
  api_flags api;
  workflow_outputs outputs;
  std::string input;                  ///< add: FILE or -
  std::int64_t client_id = 0;         ///< add, list: --client-id (when given)
  std::size_t batch_size = 1000;      ///< add: entries per request
  std::string add_outcomes;           ///< add: outcomes CSV (empty: none)
  std::string remove_outcomes = "-";  ///< remove: outcome lines
  std::string filter;                 ///< list: --filter substring
  std::string out = "-";              ///< list: CSV destination
  std::vector<std::int64_t> ids;      ///< remove
  CLI::App* cmd = nullptr;
  CLI::App* add = nullptr;
  CLI::App* list = nullptr;
  CLI::App* remove = nullptr;
  CLI::Option* client_opt_add = nullptr;
  CLI::Option* client_opt_list = nullptr;
};

/// Registers `block` and its three subcommands on `app`; `a` receives the flags.
void add_block(CLI::App& app, block_args& a);

/// Runs the parsed subcommand. Exit codes: 0 everything done; 1 some entries not added (add) or
/// some ids not found or failed (remove); 3 the API failed (refused key, TLS, retries exhausted:
/// the report and outcomes are still written). Throws CLI::ValidationError for bad flags or a
/// missing key, source_error / std::runtime_error for an unreadable input, output_error.
[[nodiscard]] int run_block(const block_args& a, const std::atomic<bool>& stop);

}  // namespace leadpipe::cli
