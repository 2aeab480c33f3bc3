#pragma once
// The simulator's network face: Beast/Asio HTTP/1.1 with keep-alive over plain TCP or TLS,
// C++20 coroutines, N worker threads; applies the fault plan (latency, closed connections,
// dropped answers, truncated bodies) around simulator::handle().

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "sim/simulator.hpp"

namespace leadpipe::sim {

struct server_options {
  std::string bind_address = "127.0.0.1";
  std::uint16_t port = 0;  ///< 0 picks a free port
  unsigned threads = 2;
  bool tls = false;
  std::string cert_pem;  ///< with tls: the server certificate chain (PEM)
  std::string key_pem;   ///< with tls: its private key (PEM)
  std::chrono::milliseconds idle_timeout{30'000};  ///< keep-alive connection with no request
  std::chrono::milliseconds io_timeout{30'000};    ///< reading one request / writing one answer
  std::uint64_t body_limit = 64ULL << 20U;
};

/// Serves a simulator. The constructor binds and listens (throws std::system_error when the
/// address is taken or invalid, std::runtime_error for bad TLS material: start-up problems);
/// start() launches the worker threads; stop() (also run by the destructor) closes the listener,
/// stops the workers and joins them. The simulator must outlive the server. start()/stop() are
/// not thread-safe with respect to each other; port() and url() are.
class server {
 public:
  server(simulator& sim, server_options opts);
  ~server();
  server(const server&) = delete;
  server& operator=(const server&) = delete;

  void start();
  void stop();

  [[nodiscard]] std::uint16_t port() const noexcept;
  /// "http://127.0.0.1:PORT/api/v1" or "https://...".
  [[nodiscard]] std::string url() const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace leadpipe::sim
