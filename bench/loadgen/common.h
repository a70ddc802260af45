// Shared helpers of the load generator: options, clocks, CPU accounting, JSON output.
#pragma once

#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>
#include <cctype>

namespace lg {

struct Options {
  std::map<std::string, std::string> kv;

  std::string str(const std::string& name, const char* fallback = nullptr) const {
    auto it = kv.find(name);
    if (it != kv.end()) return it->second;
    if (fallback) return fallback;
    throw std::runtime_error("missing option --" + name);
  }
  long num(const std::string& name, long fallback) const {
    auto it = kv.find(name);
    return it == kv.end() ? fallback : std::strtol(it->second.c_str(), nullptr, 10);
  }
  double real(const std::string& name, double fallback) const {
    auto it = kv.find(name);
    return it == kv.end() ? fallback : std::strtod(it->second.c_str(), nullptr);
  }
};

inline Options parse_options(int argc, char** argv, int first) {
  Options o;
  for (int i = first; i < argc; ++i) {
    std::string a = argv[i];
    if (a.rfind("--", 0) != 0 || i + 1 >= argc) throw std::runtime_error("bad argument " + a);
    o.kv[a.substr(2)] = argv[++i];
  }
  return o;
}

inline std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

/** CLOCK_MONOTONIC in microseconds: the clock V8's CPU profiler stamps its samples with. */
inline int64_t mono_us() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t(ts.tv_sec) * 1000000 + ts.tv_nsec / 1000;
}

/** CPU seconds (user, system) of this whole process, all threads. */
struct Cpu {
  double user = 0, sys = 0;
  double total() const { return user + sys; }
};

inline Cpu self_cpu() {
  rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  Cpu c;
  c.user = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6;
  c.sys = ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
  return c;
}

/** CPU seconds of another process (all its threads) from /proc/PID/stat; zero when pid <= 0. */
inline Cpu proc_cpu(long pid) {
  Cpu c;
  if (pid <= 0) return c;
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(in, line)) return c;
  // Fields after the ")" that closes the command name: state is field 3, utime 14, stime 15.
  auto close = line.rfind(')');
  std::istringstream rest(line.substr(close + 2));
  std::string field;
  long long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && rest >> field; ++i) {
    if (i == 14) utime = std::atoll(field.c_str());
    if (i == 15) stime = std::atoll(field.c_str());
  }
  double hz = double(sysconf(_SC_CLK_TCK));
  c.user = utime / hz;
  c.sys = stime / hz;
  return c;
}

/** Per-core tick counters of /proc/stat (seconds): busy (everything but idle/iowait) and idle. */
struct CoreTicks {
  double busy = 0, idle = 0;
};

inline std::vector<CoreTicks> core_ticks() {
  std::vector<CoreTicks> cores;
  std::ifstream in("/proc/stat");
  std::string line;
  double hz = double(sysconf(_SC_CLK_TCK));
  while (std::getline(in, line)) {
    if (line.rfind("cpu", 0) != 0 || line.size() < 4 || !isdigit(static_cast<unsigned char>(line[3]))) continue;
    std::istringstream f(line.substr(line.find(' ')));
    long long v[10] = {0};
    for (int i = 0; i < 10 && f >> v[i]; ++i) {
    }
    // user nice system idle iowait irq softirq steal guest guest_nice
    CoreTicks c;
    c.busy = (v[0] + v[1] + v[2] + v[5] + v[6] + v[7]) / hz;
    c.idle = (v[3] + v[4]) / hz;
    cores.push_back(c);
  }
  return cores;
}

/** Snapshot of both processes' CPU, the cores' tick counters and the clock, taken at the edges of
 *  the measured window. */
struct Mark {
  int64_t mono = 0;
  Cpu self, server;
  std::vector<CoreTicks> cores;
};

inline Mark mark(long server_pid) {
  Mark m;
  m.mono = mono_us();
  m.self = self_cpu();
  m.server = proc_cpu(server_pid);
  m.cores = core_ticks();
  return m;
}

inline std::string json_escape(const std::string& s) {
  std::string out;
  for (char ch : s) {
    if (ch == '"' || ch == '\\') out += '\\';
    if (static_cast<unsigned char>(ch) < 0x20) continue;
    out += ch;
  }
  return out;
}

/** One JSON line on stdout: the figures of one measured window. */
inline void report(const std::string& mode, long ok, const Mark& a, const Mark& b,
                   const std::map<std::string, long>& errors, const std::map<std::string, long>& warmup_errors,
                   const std::string& extra) {
  double secs = (b.mono - a.mono) / 1e6;
  auto errs = [](const std::map<std::string, long>& m) {
    std::string s = "{";
    bool first = true;
    for (auto& [k, v] : m) {
      if (!first) s += ",";
      first = false;
      s += "\"" + json_escape(k) + "\":" + std::to_string(v);
    }
    return s + "}";
  };
  // Tick-sampled core time (a vCPU the host takes away while a task runs still counts as busy here,
  // but not in the processes' own CPU times: the difference estimates host steal).
  std::string cores = "[";
  for (size_t i = 0; i < a.cores.size() && i < b.cores.size(); ++i) {
    char buf[96];
    std::snprintf(buf, sizeof buf, "%s{\"busy\":%.2f,\"idle\":%.2f}", i ? "," : "", b.cores[i].busy - a.cores[i].busy,
                  b.cores[i].idle - a.cores[i].idle);
    cores += buf;
  }
  cores += "]";
  std::printf(
      "{\"mode\":\"%s\",\"cores\":%s,\"ok\":%ld,\"seconds\":%.6f,\"rate\":%.1f,"
      "\"loadgenCpu\":{\"user\":%.3f,\"sys\":%.3f,\"pct\":%.1f},"
      "\"serverCpu\":{\"user\":%.3f,\"sys\":%.3f,\"pct\":%.1f},"
      "\"windowMonoUs\":[%lld,%lld],\"errors\":%s,\"warmupErrors\":%s%s}\n",
      mode.c_str(), cores.c_str(), ok, secs, ok / secs, b.self.user - a.self.user, b.self.sys - a.self.sys,
      100.0 * (b.self.total() - a.self.total()) / secs, b.server.user - a.server.user, b.server.sys - a.server.sys,
      100.0 * (b.server.total() - a.server.total()) / secs, (long long)a.mono, (long long)b.mono,
      errs(errors).c_str(), errs(warmup_errors).c_str(), extra.c_str());
  std::fflush(stdout);
}

/** Protobuf: field 1, wire type 2 (length-delimited) holding `bytes`. */
inline std::string pb_field1(const std::string& bytes) {
  std::string out(1, '\x0a');
  uint64_t n = bytes.size();
  while (n >= 0x80) {
    out += char((n & 0x7f) | 0x80);
    n >>= 7;
  }
  out += char(n);
  return out + bytes;
}

}  // namespace lg
