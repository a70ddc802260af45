// Fresh mutual-TLS connections with OpenSSL: --concurrency non-blocking connections driven by one
// epoll loop, each replaced by a new one when it ends. No session resumption: every connection is
// a full handshake (client certificate, ALPN h2, server certificate verified against ca.crt for
// the IP dialled). One SSL_CTX for the whole run, so the client never re-reads its PEM files.
//
//   handshake: after the handshake, wait for the server's first application bytes (its HTTP/2
//              SETTINGS frame, sent once it has accepted the handshake: with TLS 1.3 the client
//              finishes before the server has checked the client certificate), then close.
//   h2call:    after the handshake, one gRPC unary call over HTTP/2 (libnghttp2 does the framing
//              and HPACK), judged by its grpc-status trailer (and, with --expect-body, a
//              non-empty protobuf answer), then close.
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <nghttp2/nghttp2.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <vector>

#include "common.h"

namespace lg {
namespace {

enum State { CONNECTING, HANDSHAKING, AWAITING_DATA };

struct Conn {
  int fd = -1;
  SSL* ssl = nullptr;
  State state = CONNECTING;
  // h2call only
  nghttp2_session* h2 = nullptr;
  std::string out;          // bytes nghttp2 produced that SSL_write has not taken yet
  size_t request_sent = 0;  // of the gRPC request body
  std::string body;         // response DATA
  std::string grpc_status, http_status;
  bool stream_closed = false;
  uint32_t stream_error = 0;
};

struct Call {
  std::string path, authority, body;  // body: 5-byte gRPC prefix + protobuf
  bool expect_body = false;
};

// ---- nghttp2 callbacks (user_data is the Conn) ----

int on_header(nghttp2_session*, const nghttp2_frame*, const uint8_t* name, size_t namelen, const uint8_t* value,
              size_t valuelen, uint8_t, void* user) {
  auto* c = static_cast<Conn*>(user);
  std::string n(reinterpret_cast<const char*>(name), namelen);
  if (n == "grpc-status") c->grpc_status.assign(reinterpret_cast<const char*>(value), valuelen);
  if (n == ":status") c->http_status.assign(reinterpret_cast<const char*>(value), valuelen);
  return 0;
}

int on_data(nghttp2_session*, uint8_t, int32_t, const uint8_t* data, size_t len, void* user) {
  static_cast<Conn*>(user)->body.append(reinterpret_cast<const char*>(data), len);
  return 0;
}

int on_stream_close(nghttp2_session*, int32_t, uint32_t error_code, void* user) {
  auto* c = static_cast<Conn*>(user);
  c->stream_closed = true;
  c->stream_error = error_code;
  return 0;
}

const Call* g_call = nullptr;

ssize_t read_request(nghttp2_session*, int32_t, uint8_t* buf, size_t length, uint32_t* flags, nghttp2_data_source*,
                     void* user) {
  auto* c = static_cast<Conn*>(user);
  size_t n = std::min(length, g_call->body.size() - c->request_sent);
  memcpy(buf, g_call->body.data() + c->request_sent, n);
  c->request_sent += n;
  if (c->request_sent == g_call->body.size()) *flags |= NGHTTP2_DATA_FLAG_EOF;
  return ssize_t(n);
}

nghttp2_session_callbacks* h2_callbacks() {
  static nghttp2_session_callbacks* cbs = [] {
    nghttp2_session_callbacks* c;
    nghttp2_session_callbacks_new(&c);
    nghttp2_session_callbacks_set_on_header_callback(c, on_header);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(c, on_data);
    nghttp2_session_callbacks_set_on_stream_close_callback(c, on_stream_close);
    return c;
  }();
  return cbs;
}

/** A header pointing at bytes that outlive the stream (literals, or the run's Call). */
nghttp2_nv header(const char* name, const char* value, size_t value_len) {
  return {(uint8_t*)name, (uint8_t*)value, strlen(name), value_len, NGHTTP2_NV_FLAG_NO_COPY_NAME | NGHTTP2_NV_FLAG_NO_COPY_VALUE};
}
nghttp2_nv header(const char* name, const char* value) { return header(name, value, strlen(value)); }
nghttp2_nv header(const char* name, const std::string& value) { return header(name, value.data(), value.size()); }

/** Verdict on a finished call: "" when OK. */
std::string judge(const Conn& c, bool expect_body) {
  if (c.stream_error) return "stream reset (h2 error " + std::to_string(c.stream_error) + ")";
  if (c.http_status != "200") return "http status " + (c.http_status.empty() ? std::string("none") : c.http_status);
  if (c.grpc_status.empty()) return "no grpc-status";
  if (c.grpc_status != "0") return "grpc-status " + c.grpc_status;
  if (expect_body) {
    // One uncompressed message whose protobuf starts with field 1 (length-delimited), non-empty.
    if (c.body.size() < 8 || c.body[0] != 0 || c.body[5] != 0x0a) return "0 OK without the expected answer";
  }
  return "";
}

std::string ssl_error_text() {
  unsigned long e = ERR_get_error();
  ERR_clear_error();
  if (!e) return "unknown";
  const char* reason = ERR_reason_error_string(e);
  return reason ? reason : std::to_string(e);
}

SSL_CTX* client_context(const Options& o) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  if (o.str("max-tls", "1.3") == "1.2") SSL_CTX_set_max_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
  if (SSL_CTX_load_verify_locations(ctx, o.str("ca").c_str(), nullptr) != 1 ||
      SSL_CTX_use_certificate_chain_file(ctx, o.str("cert").c_str()) != 1 ||
      SSL_CTX_use_PrivateKey_file(ctx, o.str("key").c_str(), SSL_FILETYPE_PEM) != 1) {
    throw std::runtime_error("loading TLS files: " + ssl_error_text());
  }
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
  static const unsigned char alpn[] = {2, 'h', '2'};
  SSL_CTX_set_alpn_protos(ctx, alpn, sizeof alpn);
  SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  return ctx;
}

}  // namespace

int run_tls(const std::string& mode, const Options& o) {
  const bool h2call = mode == "h2call";
  const std::string host = o.str("host", "127.0.0.1");
  const int port = int(o.num("port", 0));
  Call call;
  if (h2call) {
    call.path = o.str("method");
    call.authority = host + ":" + std::to_string(port);
    call.expect_body = o.num("expect-body", 0) != 0;
    std::string pb;
    if (o.kv.count("field1-file")) pb = pb_field1(read_file(o.str("field1-file")));
    uint32_t n = uint32_t(pb.size());
    call.body = std::string(1, '\0') + char(n >> 24) + char(n >> 16) + char(n >> 8) + char(n) + pb;
    g_call = &call;
  }
  const long server_pid = o.num("server-pid", 0);
  const long concurrency = o.num("concurrency", 16);
  const double warmup = o.real("warmup", 2), duration = o.real("duration", 10);

  SSL_CTX* ctx = client_context(o);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  if (inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1) throw std::runtime_error("--host must be an IPv4 address");

  int ep = epoll_create1(0);
  std::vector<Conn> conns(concurrency);
  std::map<std::string, long> errors, warm_errors;
  long ok = 0;
  std::string version, cipher;
  enum { WARM, MEASURE, DRAIN } phase = WARM;
  long open_conns = 0;

  auto watch = [&](long i, uint32_t events, bool add) {
    epoll_event ev{};
    ev.events = events;
    ev.data.u64 = uint64_t(i);
    epoll_ctl(ep, add ? EPOLL_CTL_ADD : EPOLL_CTL_MOD, conns[i].fd, &ev);
  };

  auto open_conn = [&](long i) {
    Conn& c = conns[i];
    c.fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    c.state = CONNECTING;
    int r = connect(c.fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    if (r != 0 && errno != EINPROGRESS) throw std::runtime_error(std::string("connect: ") + strerror(errno));
    c.ssl = SSL_new(ctx);
    SSL_set_fd(c.ssl, c.fd);
    SSL_set_connect_state(c.ssl);
    X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(c.ssl), host.c_str());
    watch(i, EPOLLOUT, true);
    ++open_conns;
  };

  auto finish = [&](long i, const std::string& err) {
    Conn& c = conns[i];
    if (err.empty() && version.empty()) {
      version = SSL_get_version(c.ssl);
      cipher = SSL_get_cipher_name(c.ssl);
    }
    if (err.empty()) SSL_shutdown(c.ssl);  // close_notify; we do not wait for the server's
    epoll_ctl(ep, EPOLL_CTL_DEL, c.fd, nullptr);
    if (c.h2) nghttp2_session_del(c.h2);
    c.h2 = nullptr;
    c.out.clear();
    c.body.clear();
    c.grpc_status.clear();
    c.http_status.clear();
    c.request_sent = 0;
    c.stream_closed = false;
    c.stream_error = 0;
    SSL_free(c.ssl);
    close(c.fd);
    c.ssl = nullptr;
    c.fd = -1;
    --open_conns;
    if (phase == MEASURE) {
      if (err.empty()) ++ok;
      else ++errors[err];
    } else if (phase == WARM && !err.empty()) {
      ++warm_errors[err];
    }
    if (!err.empty() && std::getenv("LOADGEN_VERBOSE")) std::fprintf(stderr, "loadgen: %s\n", err.c_str());
    if (phase != DRAIN) open_conn(i);
  };

  // Advances one connection as far as it goes without blocking.
  auto step = [&](long i) {
    Conn& c = conns[i];
    if (c.state == CONNECTING) {
      int soerr = 0;
      socklen_t len = sizeof soerr;
      getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &soerr, &len);
      if (soerr) return finish(i, std::string("connect: ") + strerror(soerr));
      c.state = HANDSHAKING;
    }
    if (c.state == HANDSHAKING) {
      int r = SSL_do_handshake(c.ssl);
      if (r != 1) {
        int e = SSL_get_error(c.ssl, r);
        if (e == SSL_ERROR_WANT_READ) return watch(i, EPOLLIN, false);
        if (e == SSL_ERROR_WANT_WRITE) return watch(i, EPOLLOUT, false);
        return finish(i, "handshake: " + ssl_error_text());
      }
      c.state = AWAITING_DATA;
      if (h2call) {
        nghttp2_session_client_new(&c.h2, h2_callbacks(), &c);
        nghttp2_submit_settings(c.h2, NGHTTP2_FLAG_NONE, nullptr, 0);
        nghttp2_nv hdrs[] = {header(":method", "POST"),         header(":scheme", "https"),
                             header(":path", call.path),         header(":authority", call.authority),
                             header("content-type", "application/grpc"), header("te", "trailers")};
        nghttp2_data_provider body{};
        body.read_callback = read_request;
        if (nghttp2_submit_request(c.h2, nullptr, hdrs, 6, &body, nullptr) < 0) return finish(i, "h2: submit failed");
      }
    }
    char buf[16384];
    if (!h2call) {
      int r = SSL_read(c.ssl, buf, sizeof buf);
      if (r > 0) return finish(i, "");
      int e = SSL_get_error(c.ssl, r);
      if (e == SSL_ERROR_WANT_READ) return watch(i, EPOLLIN, false);
      if (e == SSL_ERROR_WANT_WRITE) return watch(i, EPOLLOUT, false);
      if (e == SSL_ERROR_ZERO_RETURN || e == SSL_ERROR_SYSCALL) return finish(i, "closed by server before any data");
      return finish(i, "after handshake: " + ssl_error_text());
    }
    // h2call: read everything available, then write everything nghttp2 wants sent.
    for (;;) {
      int r = SSL_read(c.ssl, buf, sizeof buf);
      if (r > 0) {
        if (nghttp2_session_mem_recv(c.h2, reinterpret_cast<uint8_t*>(buf), size_t(r)) < 0) return finish(i, "h2: bad input");
        if (c.stream_closed) return finish(i, judge(c, call.expect_body));
        continue;
      }
      int e = SSL_get_error(c.ssl, r);
      if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) break;
      if (e == SSL_ERROR_ZERO_RETURN || e == SSL_ERROR_SYSCALL) return finish(i, "closed by server before the answer");
      return finish(i, "after handshake: " + ssl_error_text());
    }
    for (;;) {
      if (c.out.empty()) {
        const uint8_t* data;
        ssize_t n = nghttp2_session_mem_send(c.h2, &data);
        if (n < 0) return finish(i, "h2: send failed");
        if (n == 0) break;
        c.out.assign(reinterpret_cast<const char*>(data), size_t(n));
      }
      int w = SSL_write(c.ssl, c.out.data(), int(c.out.size()));
      if (w > 0) {
        c.out.erase(0, size_t(w));
        continue;
      }
      int e = SSL_get_error(c.ssl, w);
      if (e == SSL_ERROR_WANT_WRITE || e == SSL_ERROR_WANT_READ) break;
      return finish(i, "write: " + ssl_error_text());
    }
    watch(i, c.out.empty() ? EPOLLIN : (EPOLLIN | EPOLLOUT), false);
  };

  const int64_t t0 = mono_us();
  const int64_t warm_end = t0 + int64_t(warmup * 1e6), end = warm_end + int64_t(duration * 1e6);
  Mark a, b;
  for (long i = 0; i < concurrency; ++i) open_conn(i);
  std::vector<epoll_event> events(concurrency);
  int64_t drain_deadline = 0;
  while (open_conns > 0) {
    int64_t now = mono_us();
    int64_t until = phase == WARM ? warm_end : phase == MEASURE ? end : drain_deadline;
    int timeout_ms = int(std::max<int64_t>(0, (until - now + 999) / 1000));
    int n = epoll_wait(ep, events.data(), int(events.size()), timeout_ms);
    now = mono_us();
    if (phase == WARM && now >= warm_end) {
      phase = MEASURE;
      a = mark(server_pid);
    }
    if (phase == MEASURE && now >= end) {
      phase = DRAIN;
      b = mark(server_pid);
      drain_deadline = now + 10 * 1000000;
    }
    if (phase == DRAIN && now >= drain_deadline) {
      std::fprintf(stderr, "loadgen: %ld connections still open 10 s after the window\n", open_conns);
      break;
    }
    for (int k = 0; k < n; ++k) {
      long i = long(events[k].data.u64);
      if (conns[i].fd >= 0) step(i);
    }
  }
  close(ep);
  SSL_CTX_free(ctx);
  std::string extra = ",\"concurrency\":" + std::to_string(concurrency) + ",\"tlsVersion\":\"" + json_escape(version) +
                      "\",\"cipher\":\"" + json_escape(cipher) + "\"";
  if (h2call) extra += ",\"method\":\"" + json_escape(call.path) + "\",\"requestBytes\":" + std::to_string(call.body.size());
  report(mode, ok, a, b, errors, warm_errors, extra);
  return 0;
}

}  // namespace lg
