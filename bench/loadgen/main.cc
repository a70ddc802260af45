// Load generator of the master gateway benchmark. One mode per run, one JSON line on stdout.
//
//   loadgen unary      --target H:P --ca F --cert F --key F --method /pkg.Svc/M [--field1-file F]
//                      [--channels 4] [--inflight 128] [--expect-body 1] [--expect-field1-count N]
//                      [--login-method /pkg.Svc/Login --login-field1-file F]   (token metadata)
//   loadgen connlogin  --target H:P --ca F --cert F --key F --method M --field1-file F [--concurrency 16]
//   loadgen handshake  --host 127.0.0.1 --port P --ca F --cert F --key F [--concurrency 16]
//   loadgen h2call     --host 127.0.0.1 --port P --ca F --cert F --key F --method M [--field1-file F]
//                      [--expect-body 1] [--concurrency 16]     (new connection + one call, nghttp2)
//   common:            [--warmup 2] [--duration 10] [--server-pid PID]
//
// --field1-file: the request is protobuf field 1 (a string) holding that file's bytes.
// --login-method: one blocking call of that method first (request field 1 = --login-field1-file);
//                 field 1 of its answer is sent as metadata "token" on every call of the run.
// --expect-field1-count: an OK answer must hold exactly N values of field 1 (else counted non-OK).
// --server-pid: also report that process's CPU use over the measured window.
#include <cstdio>
#include <exception>
#include <string>

#include "common.h"

namespace lg {
int run_grpc(const std::string& mode, const Options& o);
int run_tls(const std::string& mode, const Options& o);
}  // namespace lg

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: loadgen unary|connlogin|handshake|h2call --option value ...\n");
    return 2;
  }
  try {
    std::string mode = argv[1];
    lg::Options o = lg::parse_options(argc, argv, 2);
    if (mode == "unary" || mode == "connlogin") return lg::run_grpc(mode, o);
    if (mode == "handshake" || mode == "h2call") return lg::run_tls(mode, o);
    std::fprintf(stderr, "loadgen: unknown mode %s\n", mode.c_str());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "loadgen: %s\n", e.what());
    return 1;
  }
}
