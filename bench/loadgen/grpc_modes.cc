// gRPC load over the C++ library: no codegen, GenericStub + one completion queue drained by one
// thread, many calls in flight.
//
//   unary:     a few long-lived mTLS channels (really separate connections), --inflight calls
//              outstanding in total, each completed call immediately replaced by a new one.
//              With --login-method, one blocking call of that method (request: protobuf field 1 =
//              the --login-field1-file bytes) comes first, on the first channel; field 1 of its
//              answer (the JWT) is then sent as metadata "token" on every call of the run.
//   connlogin: --concurrency slots; each slot makes a fresh channel (a new TCP + mTLS connection),
//              sends one call on it, and drops the channel when the answer arrives.
#include <grpc/grpc.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <chrono>
#include <memory>
#include <vector>

#include "common.h"

namespace lg {
namespace {

struct Call {
  // Declaration order matters: members are destroyed in reverse, the channel last.
  std::shared_ptr<grpc::Channel> channel;  // connlogin only: this call's own connection
  std::unique_ptr<grpc::GenericStub> stub;
  grpc::ClientContext ctx;
  grpc::ByteBuffer response;
  grpc::Status status;
  std::unique_ptr<grpc::ClientAsyncResponseReader<grpc::ByteBuffer>> reader;
};

std::shared_ptr<grpc::ChannelCredentials> credentials(const Options& o) {
  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = read_file(o.str("ca"));
  ssl.pem_cert_chain = read_file(o.str("cert"));
  ssl.pem_private_key = read_file(o.str("key"));
  return grpc::SslCredentials(ssl);
}

std::shared_ptr<grpc::Channel> make_channel(const std::string& target,
                                            const std::shared_ptr<grpc::ChannelCredentials>& creds, long id) {
  grpc::ChannelArguments args;
  // A private subchannel pool plus a distinct argument: no two channels share a connection.
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  args.SetInt("bench.channel_id", int(id));
  return grpc::CreateCustomChannel(target, creds, args);
}

std::string code_name(grpc::StatusCode code) {
  static const char* names[] = {"OK",        "CANCELLED",          "UNKNOWN",      "INVALID_ARGUMENT",
                                "DEADLINE_EXCEEDED", "NOT_FOUND", "ALREADY_EXISTS", "PERMISSION_DENIED",
                                "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE",
                                "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED"};
  int c = int(code);
  return (c >= 0 && c <= 16) ? std::to_string(c) + " " + names[c] : std::to_string(c);
}

std::string flatten(const grpc::ByteBuffer& buffer) {
  std::vector<grpc::Slice> slices;
  std::string out;
  if (!buffer.Dump(&slices).ok()) return out;
  for (auto& s : slices) out.append(reinterpret_cast<const char*>(s.begin()), s.size());
  return out;
}

bool read_varint(const std::string& b, size_t& i, uint64_t& v) {
  v = 0;
  for (int shift = 0; i < b.size() && shift < 64; shift += 7) {
    uint8_t byte = uint8_t(b[i++]);
    v |= uint64_t(byte & 0x7f) << shift;
    if (!(byte & 0x80)) return true;
  }
  return false;
}

/** The length-delimited values of protobuf field 1 in a message; false when it does not parse. */
bool field1_values(const std::string& b, std::vector<std::string>* out) {
  size_t i = 0;
  while (i < b.size()) {
    uint64_t key, len;
    if (!read_varint(b, i, key)) return false;
    switch (key & 7) {
      case 0:
        if (!read_varint(b, i, len)) return false;
        break;
      case 1: i += 8; break;
      case 5: i += 4; break;
      case 2:
        if (!read_varint(b, i, len) || len > b.size() - i) return false;
        if ((key >> 3) == 1) out->push_back(b.substr(i, len));
        i += len;
        break;
      default: return false;
    }
    if (i > b.size()) return false;
  }
  return true;
}

/** One blocking unary call (its own completion queue): field 1 of the answer, e.g. Login's JWT. */
std::string login_token(grpc::GenericStub* stub, const std::string& method, const std::string& payload) {
  grpc::CompletionQueue cq;
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  grpc::Slice slice(payload);
  const grpc::ByteBuffer request(&slice, 1);
  grpc::ByteBuffer response;
  grpc::Status status;
  auto reader = stub->PrepareUnaryCall(&ctx, method, request, &cq);
  reader->StartCall();
  reader->Finish(&response, &status, reinterpret_cast<void*>(1));
  void* tag;
  bool got;
  if (!cq.Next(&tag, &got) || !got) throw std::runtime_error("login call did not complete");
  cq.Shutdown();
  while (cq.Next(&tag, &got)) {
  }
  if (!status.ok()) throw std::runtime_error("login failed: " + code_name(status.error_code()) + ": " + status.error_message());
  std::vector<std::string> values;
  if (!field1_values(flatten(response), &values) || values.empty() || values[0].empty()) {
    throw std::runtime_error("login answer has no field 1 (token)");
  }
  return values[0];
}

}  // namespace

int run_grpc(const std::string& mode, const Options& o) {
  const bool per_call_channel = mode == "connlogin";
  const std::string target = o.str("target");
  const std::string method = o.str("method");
  const long server_pid = o.num("server-pid", 0);
  const long channels = o.num("channels", 4);
  const long inflight = per_call_channel ? o.num("concurrency", 16) : o.num("inflight", 128);
  const double warmup = o.real("warmup", 2), duration = o.real("duration", 10);
  // Login answers must carry a token; an OK with an empty body is counted as an error.
  const bool expect_body = o.num("expect-body", 0) != 0;
  // With --expect-field1-count N, an OK answer must hold exactly N values of field 1 (GetList's IDs).
  const long expect_count = o.num("expect-field1-count", -1);

  std::string payload;
  if (o.kv.count("field1-file")) payload = pb_field1(read_file(o.str("field1-file")));
  grpc::Slice slice(payload);
  const grpc::ByteBuffer request(&slice, 1);

  auto creds = credentials(o);
  std::vector<std::shared_ptr<grpc::Channel>> pool;
  std::vector<std::unique_ptr<grpc::GenericStub>> stubs;
  if (!per_call_channel) {
    for (long i = 0; i < channels; ++i) {
      pool.push_back(make_channel(target, creds, i));
      stubs.push_back(std::make_unique<grpc::GenericStub>(pool.back()));
    }
  }

  std::string token;
  if (o.kv.count("login-method")) {
    if (per_call_channel) throw std::runtime_error("--login-method needs the unary mode");
    token = login_token(stubs[0].get(), o.str("login-method"), pb_field1(read_file(o.str("login-field1-file"))));
  }

  grpc::CompletionQueue cq;
  long next_id = 0, outstanding = 0;
  auto start_call = [&]() {
    auto* call = new Call();
    grpc::GenericStub* stub;
    if (per_call_channel) {
      call->channel = make_channel(target, creds, 1000000 + next_id);
      call->stub = std::make_unique<grpc::GenericStub>(call->channel);
      stub = call->stub.get();
    } else {
      stub = stubs[next_id % channels].get();
    }
    ++next_id;
    call->ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    if (!token.empty()) call->ctx.AddMetadata("token", token);
    call->reader = stub->PrepareUnaryCall(&call->ctx, method, request, &cq);
    call->reader->StartCall();
    call->reader->Finish(&call->response, &call->status, call);
    ++outstanding;
  };

  using clock = std::chrono::steady_clock;
  const auto t0 = clock::now();
  const auto warm_end = t0 + std::chrono::microseconds(int64_t(warmup * 1e6));
  const auto end = warm_end + std::chrono::microseconds(int64_t(duration * 1e6));

  std::map<std::string, long> errors, warm_errors;
  long ok = 0;
  enum { WARM, MEASURE, DRAIN } phase = WARM;
  Mark a, b;
  for (long i = 0; i < inflight; ++i) start_call();

  while (outstanding > 0) {
    void* tag;
    bool got = false;
    const bool draining = phase == DRAIN;
    auto deadline = phase == WARM ? warm_end : phase == MEASURE ? end : clock::now() + std::chrono::seconds(30);
    // AsyncNext takes wall-clock deadlines only: convert the steady one.
    auto st = cq.AsyncNext(&tag, &got, std::chrono::system_clock::now() + (deadline - clock::now()));
    if (phase == WARM && clock::now() >= warm_end) {
      phase = MEASURE;
      a = mark(server_pid);
    }
    if (phase == MEASURE && clock::now() >= end) {
      phase = DRAIN;
      b = mark(server_pid);
    }
    if (st == grpc::CompletionQueue::TIMEOUT) {
      if (draining) {
        std::fprintf(stderr, "loadgen: %ld calls still outstanding 30 s after the window\n", outstanding);
        break;
      }
      continue;
    }
    if (st == grpc::CompletionQueue::SHUTDOWN) break;
    auto* call = static_cast<Call*>(tag);
    --outstanding;
    bool good = call->status.ok() && (!expect_body || call->response.Length() > 0);
    std::string err = good ? "" : call->status.ok() ? "0 OK with empty body" : code_name(call->status.error_code());
    if (good && expect_count >= 0) {
      std::vector<std::string> values;
      if (!field1_values(flatten(call->response), &values) || long(values.size()) != expect_count) {
        good = false;
        err = "0 OK with " + std::to_string(values.size()) + " field-1 values (expected " + std::to_string(expect_count) + ")";
      }
    }
    if (!good && errors.size() + warm_errors.size() < 2 && std::getenv("LOADGEN_VERBOSE")) {
      std::fprintf(stderr, "loadgen: %s: %s\n", err.c_str(), call->status.error_message().c_str());
    }
    if (phase == MEASURE) {
      if (good) ++ok;
      else ++errors[err];
    } else if (phase == WARM && !good) {
      ++warm_errors[err];
    }
    delete call;
    if (phase != DRAIN) start_call();
  }
  stubs.clear();
  pool.clear();
  cq.Shutdown();
  void* tag;
  bool got;
  while (cq.Next(&tag, &got)) delete static_cast<Call*>(tag);

  std::string extra = ",\"method\":\"" + json_escape(method) + "\",\"requestBytes\":" + std::to_string(payload.size());
  if (!token.empty()) extra += ",\"tokenBytes\":" + std::to_string(token.size());
  if (per_call_channel) extra += ",\"concurrency\":" + std::to_string(inflight);
  else extra += ",\"channels\":" + std::to_string(channels) + ",\"inflight\":" + std::to_string(inflight);
  report(mode, ok, a, b, errors, warm_errors, extra);
  return 0;
}

}  // namespace lg
