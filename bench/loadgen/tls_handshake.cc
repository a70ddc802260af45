// Bare mutual-TLS connections with OpenSSL: --concurrency non-blocking connections driven by one
// epoll loop. Each one: TCP connect, full handshake (client certificate, ALPN h2, server
// certificate verified against ca.crt for 127.0.0.1), then wait for the server's first
// application bytes (its HTTP/2 SETTINGS frame, sent once it has accepted the handshake: with TLS
// 1.3 the client finishes before the server has checked the client certificate), then
// close_notify + close. No session resumption: every connection is a full handshake.
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
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
};

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
  return ctx;
}

}  // namespace

int run_handshake(const Options& o) {
  const std::string host = o.str("host", "127.0.0.1");
  const int port = int(o.num("port", 0));
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
    }
    char buf[4096];
    int r = SSL_read(c.ssl, buf, sizeof buf);
    if (r > 0) return finish(i, "");
    int e = SSL_get_error(c.ssl, r);
    if (e == SSL_ERROR_WANT_READ) return watch(i, EPOLLIN, false);
    if (e == SSL_ERROR_WANT_WRITE) return watch(i, EPOLLOUT, false);
    if (e == SSL_ERROR_ZERO_RETURN || e == SSL_ERROR_SYSCALL) return finish(i, "closed by server before any data");
    return finish(i, "after handshake: " + ssl_error_text());
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
  report("handshake", ok, a, b, errors, warm_errors, extra);
  return 0;
}

}  // namespace lg
