//
// bench/bench_report.cpp
//
// Copyright (c) 2026 The liveness authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at https://www.boost.org/LICENSE_1_0.txt)
//
// Turns the result lines of one scripts/bench.sh run (`kind=... key=value ...`) into
// docs/benchmarks.md: the tables, the ratios, each target met or missed and by how much,
// and the machine. Also writes the data file and the gnuplot script of the plot.
//
//   bench_report --results R --machine M --md OUT.md --plot-dir DIR --png NAME.png
//
#include "bench_util.hpp"

#include <algorithm>
#include <cmath>
#include <utility>
#include <cstdio>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace {

using row = std::map<std::string, std::string>;

std::vector<row> read_rows(const std::string& path) {
  std::vector<row> rows;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream words(line);
    std::string w;
    row r;
    while (words >> w) {
      const auto eq = w.find('=');
      if (eq != std::string::npos) r[w.substr(0, eq)] = w.substr(eq + 1);
    }
    if (r.count("kind")) rows.push_back(r);
  }
  return rows;
}

double num(const row& r, const std::string& k) {
  const auto it = r.find(k);
  return it == r.end() ? std::nan("") : std::strtod(it->second.c_str(), nullptr);
}

std::string str(const row& r, const std::string& k) {
  const auto it = r.find(k);
  return it == r.end() ? "" : it->second;
}

std::string fmt(double v, int precision = 2) {
  if (std::isnan(v)) return "n/a";
  std::ostringstream o;
  o << std::fixed << std::setprecision(precision) << v;
  return o.str();
}

std::string pct(double v) { return fmt(v * 100.0, 1) + " %"; }

std::string verdict(bool met) { return met ? "**met**" : "**missed**"; }

}  // namespace

int main(int argc, char** argv) {
  bench::flags f(argc, argv);
  const std::string results = f.str("results", "results.txt");
  const std::string machine_path = f.str("machine", "machine.txt");
  const std::string md_path = f.str("md", "benchmarks.md");
  const std::string plot_dir = f.str("plot-dir", ".");
  const std::string png = f.str("png", "benchmarks.png");
  f.check();

  const auto rows = read_rows(results);
  row machine;
  {
    std::ifstream in(machine_path);
    std::string line;
    while (std::getline(in, line)) {
      const auto eq = line.find('=');
      if (eq != std::string::npos) machine[line.substr(0, eq)] = line.substr(eq + 1);
    }
  }
  auto of_kind = [&](const std::string& kind) {
    std::vector<row> v;
    for (const auto& r : rows) {
      if (str(r, "kind") == kind) v.push_back(r);
    }
    return v;
  };

  std::ostringstream md;
  std::ostringstream targets;  // the summary table, filled while writing the sections
  std::ostringstream missed;   // why, for each missed target
  std::ostringstream headline;

  md << "<!-- Written by scripts/bench.sh (bench/bench_report.cpp). Do not edit by hand. -->\n";
  md << "# Benchmarks\n\n";
  md << "Measured by `scripts/bench.sh`";
  if (str(machine, "mode") == "quick") {
    md << " in **quick mode** (`BENCH_QUICK=1`: tiny sizes, a few seconds each; a smoke "
          "run, not a measurement)";
  }
  md << ", all in the same run on the same machine:\n\n";
  md << "| | |\n|---|---|\n";
  for (const char* k : {"date", "cpu", "nproc", "kernel", "memory", "load", "load_end",
                        "compiler", "asio", "boost", "commit"}) {
    if (machine.count(k)) md << "| " << k << " | " << machine[k] << " |\n";
  }
  md << "\nEvery comparison is a ratio of two numbers from this run. Reproduce with "
        "`scripts/bench.sh` (about 21 minutes; `BENCH_QUICK=1 scripts/bench.sh` for a smoke "
        "run).\n\n";
  md << "@@SUMMARY@@\n";
  md << "![idle fleet: server CPU and memory per connection](" << png << ")\n\n";

  // ---- 1. Idle fleet ---------------------------------------------------------------------
  const auto fleet_all = of_kind("fleet");
  std::vector<row> fleet, multicore, burst, uring, pairs;
  for (const auto& r : fleet_all) {
    const std::string tag = str(r, "tag");
    if (tag == "multicore") multicore.push_back(r);
    else if (tag == "burst") burst.push_back(r);
    else if (tag == "epoll" || tag == "uring") uring.push_back(r);
    else if (tag == "pair") pairs.push_back(r);
    else fleet.push_back(r);
  }
  std::set<double> sizes;
  std::map<std::pair<std::string, double>, row> by;
  std::map<double, double> per_ping_vs_floor;  // the judged median, by N
  for (const auto& r : fleet) {
    if (r.count("error")) continue;
    sizes.insert(num(r, "n"));
    by[{str(r, "impl"), num(r, "n")}] = r;
  }
  auto get = [&](const std::string& impl, double n, const std::string& k) {
    const auto it = by.find({impl, n});
    return it == by.end() ? std::nan("") : num(it->second, k);
  };
  md << "## 1. Idle fleet\n\n";
  md << "N connected pairs on loopback; the server (one process, one thread, Boost.Asio "
        "1.81 for all) pings after 1 s of silence and drops a peer after 3 s of silence, "
        "with the same one-byte ping `P` and pong `O` in every variant; the clients (other "
        "processes, at most 9,000 connections each) answer. Measured over the window after "
        "all N are up and a settle time: the server's CPU time (getrusage, user + system) "
        "scaled to seconds per minute and per ping sent, and its RSS (VmRSS) growth since "
        "before the first accept, divided by N. \"Beyond the floor\" subtracts the floor's "
        "figure at the same N. The kernel's socket memory is not in RSS and not counted.\n\n";
  md << "- `floor`: the least an Asio server can do for this job: per connection the "
        "socket, a timestamp and one pending 64-byte `async_read_some`; ONE `steady_timer` "
        "for the whole server, ticking every 100 ms, sends every due ping with a "
        "non-blocking `send()` and closes a connection silent for 3 s.\n"
        "- `liveness`: `liveness::session<tcp::socket, ping_pong<codec::line>>`, role "
        "server, interval 1 s, timeout 2 s, the line codec in bare framing with the texts "
        "`P` and `O` (one byte each way, as the others), shared timer wheel (the default); "
        "the application keeps a read pending (`async_read_some` into 64 bytes, re-armed) "
        "and `async_wait_dead`, as a real server does. `liveness_steady`: the same with one "
        "steady_timer per session. `liveness_none`: `heartbeat::none`, the same two "
        "operations pending (memory only; it sends nothing).\n"
        "- `beast`: `websocket::stream<tcp::socket>` with `idle_timeout = 2 s` and "
        "`keep_alive_pings = true` (pings every 1 s whatever the traffic, so a silent peer "
        "is dropped after 1 to 2 s; its pings are websocket frames, not one byte).\n"
        "- `asio`: hand-rolled, two `steady_timer`s per connection (ping after 1 s, dead "
        "after 3 s), both re-armed with `expires_after` + `async_wait` on every read.\n"
        "- `raw`: the accepted socket alone with one zero-byte wait, no timer (scale).\n\n";
  md << "| N | implementation | timer | CPU s/min | CPU vs floor | pings/s | CPU us/ping | "
        "per ping vs floor | RSS bytes/conn | beyond the floor | dropped in window | "
        "setup s |\n";
  md << "|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n";
  const std::vector<std::string> impls{"floor",  "liveness", "liveness_steady", "liveness_none",
                                       "asio", "beast",    "raw"};
  for (const double n : sizes) {
    for (const auto& impl : impls) {
      const auto it = by.find({impl, n});
      if (it == by.end()) continue;
      const auto& r = it->second;
      const double cpu = num(r, "cpu_s_per_min");
      const double fl = get("floor", n, "cpu_s_per_min");
      const double fl_ping = get("floor", n, "cpu_us_per_ping");
      const double per_ping = num(r, "cpu_us_per_ping");
      const double bpc = num(r, "bytes_per_conn");
      const double flb = get("floor", n, "bytes_per_conn");
      const bool pinging = per_ping > 0;
      md << "| " << fmt(n, 0) << " | " << impl << " | " << str(r, "timer") << " | "
         << fmt(cpu, 3) << " | "
         << (impl == "floor" ? "1.00" : pinging ? fmt(cpu / fl, 2) + "x" : "-") << " | "
         << fmt(num(r, "pings_per_s"), 0) << " | " << (pinging ? fmt(per_ping, 2) : "-")
         << " | " << (pinging && impl != "beast" ? fmt(per_ping / fl_ping, 2) + "x" : "-")
         << " | " << fmt(bpc, 0) << " | " << (impl == "floor" ? "-" : fmt(bpc - flb, 0))
         << " | " << str(r, "deaths") << " | " << fmt(num(r, "setup_s"), 1) << " |\n";
    }
  }
  md << "\nBeast counts no pings of its own here (`-`): compare it by CPU per minute.\n";
  for (const auto& r : fleet_all) {
    if (r.count("error")) {
      md << "\n**Failed:** " << str(r, "impl") << " N=" << str(r, "n") << " "
         << str(r, "tag") << ": " << str(r, "error") << " (" << str(r, "ready")
         << " connections up).\n";
    }
  }
  md << "\n";
  {
    std::ofstream dat(plot_dir + "/fleet.dat");
    dat << "# N liveness_cpu beast_cpu asio_cpu floor_cpu liveness_bpc beast_bpc asio_bpc "
           "floor_bpc\n";
    for (const double n : sizes) {
      dat << n;
      for (const char* k : {"cpu_s_per_min", "bytes_per_conn"}) {
        for (const char* impl : {"liveness", "beast", "asio", "floor"}) {
          const double v = get(impl, n, k);
          dat << ' ' << (std::isnan(v) ? std::string("NaN") : fmt(v, 4));
        }
      }
      dat << "\n";
    }
    std::ofstream gp(plot_dir + "/fleet.gp");
    gp << "set terminal pngcairo size 1200,480 font ',10' noenhanced\n"
          "set output '" << plot_dir << "/" << png << "'\n"
          "set multiplot layout 1,2 title 'Idle fleet, 1 Hz heartbeat, 3 s budget ("
       << machine["date"] << ", " << machine["cpu"] << ")'\n"
          "set key top left\nset grid\nset xlabel 'connections (N)'\n"
          "set ylabel 'server CPU seconds per minute'\n"
          "plot '" << plot_dir << "/fleet.dat' using 1:2 with linespoints title 'liveness', "
          "'' using 1:3 with linespoints title 'Beast websocket', "
          "'' using 1:4 with linespoints title 'hand-rolled Asio (2 steady_timers)', "
          "'' using 1:5 with linespoints title 'floor (1 timer, 1 read)'\n"
          "set ylabel 'server RSS bytes per connection'\n"
          "plot '" << plot_dir << "/fleet.dat' using 1:6 with linespoints title 'liveness', "
          "'' using 1:7 with linespoints title 'Beast websocket', "
          "'' using 1:8 with linespoints title 'hand-rolled Asio', "
          "'' using 1:9 with linespoints title 'floor'\n"
          "unset multiplot\n";
  }
  if (!sizes.empty()) {
    const double n_large = *sizes.rbegin();
    const double bpc = get("liveness", n_large, "bytes_per_conn") -
                       get("floor", n_large, "bytes_per_conn");
    const double bpc_none = get("liveness_none", n_large, "bytes_per_conn") -
                            get("floor", n_large, "bytes_per_conn");
    targets << "| memory: at most 256 bytes per `ping_pong` session beyond the floor (read and "
               "`async_wait_dead` pending) | "
            << fmt(bpc, 0) << " bytes at N = " << fmt(n_large, 0) << " | "
            << verdict(bpc <= 256)
            << (bpc <= 256 ? "" : " by " + fmt(bpc - 256, 0) + " bytes") << " |\n";
    targets << "| memory: `heartbeat::none` pays nothing for heartbeat state (judged: at most "
               "256 bytes beyond the floor, which has the same read pending) | "
            << fmt(bpc_none, 0) << " bytes beyond the floor (`ping_pong`: " << fmt(bpc, 0)
            << ") | "
            << verdict(bpc_none <= 256)
            << (bpc_none <= 256 ? "" : " by " + fmt(bpc_none - 256, 0) + " bytes") << " |\n";
    if (!(bpc <= 256) || !(bpc_none <= 256)) {
      missed << "- **Memory**: a `ping_pong` session costs " << fmt(bpc, 0)
             << " bytes beyond the floor at N = " << fmt(n_large, 0) << ", a "
             << "`heartbeat::none` one " << fmt(bpc_none, 0)
             << " (the benchmark uses the public API only: docs/session.md's memory table "
                "splits a session into its parts). Beyond the floor's socket, timestamp and "
                "read, a session holds its object (the detector, the codec state, the "
                "engine's bookkeeping), the `shared_ptr` control block, its buffers and each "
                "parked operation (the application's read and "
                "`async_wait_dead`) and malloc's overhead per block. Hand-rolled ("
             << fmt(get("asio", n_large, "bytes_per_conn") -
                        get("floor", n_large, "bytes_per_conn"),
                    0)
             << " bytes) and Beast ("
             << fmt(get("beast", n_large, "bytes_per_conn") -
                        get("floor", n_large, "bytes_per_conn"),
                    0)
             << " bytes) beyond the floor, for scale.\n";
    }
    // The issue's sizes are 2,000 and 18,000 (the full run's); a quick run judges its own
    // smallest and largest.
    std::set<double> judged{*sizes.begin(), *sizes.rbegin()};
    for (const double n : judged) {
      const double ratio = get("liveness", n, "cpu_s_per_min") / get("floor", n, "cpu_s_per_min");
      // The pair of the table above, and the pairs run again (tag=pair, in run order: a
      // floor row then its liveness row): judged on the median of the pairs' ratios.
      std::vector<double> pair_ratios{get("liveness", n, "cpu_us_per_ping") /
                                      get("floor", n, "cpu_us_per_ping")};
      double pair_floor = std::nan("");
      for (const auto& r : pairs) {
        if (r.count("error") || num(r, "n") != n) continue;
        if (str(r, "impl") == "floor") pair_floor = num(r, "cpu_us_per_ping");
        else if (str(r, "impl") == "liveness" && pair_floor > 0)
          pair_ratios.push_back(num(r, "cpu_us_per_ping") / std::exchange(pair_floor, std::nan("")));
      }
      std::string each;
      for (const double x : pair_ratios) each += (each.empty() ? "" : ", ") + fmt(x, 2);
      std::vector<double> sorted = pair_ratios;
      std::sort(sorted.begin(), sorted.end());
      const double per_ping = sorted[sorted.size() / 2];  // the median (even: the upper)
      per_ping_vs_floor[n] = per_ping;
      // Judged per ping sent: the variants do not ping at exactly the same rate (the floor
      // pings on its first 100 ms tick after 1 s, a session 1 s after the last byte it
      // received, on its wheel's tick), and CPU per minute would reward pinging less.
      targets << "| CPU per idle heartbeat within 1.1x of the floor at N = " << fmt(n, 0)
              << " (judged per ping sent, median of " << pair_ratios.size()
              << " floor/liveness pairs; p99 detection: section 5) | " << fmt(per_ping, 2)
              << "x per ping (pairs: " << each << "; table: " << fmt(ratio, 2)
              << "x per minute, "
              << fmt(get("liveness", n, "pings_per_s"), 0) << " vs "
              << fmt(get("floor", n, "pings_per_s"), 0) << " pings/s) | "
              << verdict(per_ping <= 1.1)
              << (per_ping <= 1.1 ? "" : " by " + fmt(per_ping - 1.1, 2) + "x") << " |\n";
      if (!(per_ping <= 1.1)) {
        missed << "- **CPU vs floor** at N = " << fmt(n, 0) << ": " << fmt(per_ping, 2)
               << "x per ping, the median of the pairs " << each << " (the table's pair: "
               << fmt(get("liveness", n, "cpu_us_per_ping"), 2)
               << " against " << fmt(get("floor", n, "cpu_us_per_ping"), 2)
               << " us; per minute " << fmt(ratio, 2)
               << "x). The floor does per heartbeat one `send()` from a loop over all "
                  "connections and one read completion; a session also runs its detector, "
                  "its codec over the pong, re-arms its timer in the wheel, completes the "
                  "application's read and the write of its ping through Asio.\n";
      }
    }
    const double lv = get("liveness", n_large, "cpu_s_per_min");
    headline << "At " << fmt(n_large, 0) << " idle connections with a 1 Hz heartbeat the "
             << "liveness server uses " << fmt(lv / get("floor", n_large, "cpu_s_per_min"), 2)
             << "x the CPU of the floor (one timer, one read per connection), "
             << fmt(lv / get("asio", n_large, "cpu_s_per_min"), 2)
             << "x that of a hand-rolled two-timer Asio server and "
             << fmt(lv / get("beast", n_large, "cpu_s_per_min"), 2)
             << "x that of Boost.Beast's websocket keep-alive, and " << fmt(bpc, 0)
             << " bytes per connection beyond the floor";
  }

  // ---- More than one core ----------------------------------------------------------------
  md << "## 2. More than one core\n\n";
  md << "The same fleet at one N, the server on 2 threads: `ctx` = one io_context per thread "
        "(connections spread round robin; the floor: one timer per io_context; the registry: "
        "one registry per io_context), `strand` = one io_context run by both threads, each "
        "connection on its own strand (the floor: one timer for all, its timestamps atomics; "
        "the registry: ONE registry, and docs/registry.md asks that its sessions run on its "
        "strand, so they all share one). The clients run on the same 2 cores, so the "
        "machine cannot show twice the heartbeat rate at saturation: what decides how many "
        "heartbeats 2 threads carry is the CPU per heartbeat, compared here with 1 thread "
        "(1.00 = scales perfectly: 2 cores carry twice the rate).\n\n";
  md << "| implementation | threads | mode | N | pings/s | CPU s/min | CPU us/ping | "
        "per ping vs 1 thread |\n|---|---:|---|---:|---:|---:|---:|---:|\n";
  std::map<std::string, double> one_thread;
  for (const auto& r : multicore) {
    if (!r.count("error") && num(r, "threads") == 1) {
      one_thread[str(r, "impl")] = num(r, "cpu_us_per_ping");
    }
  }
  std::map<std::string, double> mc_ratio;
  for (const auto& r : multicore) {
    if (r.count("error")) continue;
    const double t = num(r, "threads");
    const std::string mode = t == 1 ? "-" : str(r, "mt");
    const double ratio = num(r, "cpu_us_per_ping") / one_thread[str(r, "impl")];
    if (t > 1) mc_ratio[str(r, "impl") + "/" + mode] = ratio;
    md << "| " << str(r, "impl") << " | " << fmt(t, 0) << " | " << mode << " | "
       << str(r, "n") << " | " << fmt(num(r, "pings_per_s"), 0) << " | "
       << fmt(num(r, "cpu_s_per_min"), 3) << " | " << fmt(num(r, "cpu_us_per_ping"), 2)
       << " | " << (t == 1 ? "1.00" : fmt(ratio, 2) + "x") << " |\n";
  }
  md << "\n";
  for (const char* mode : {"ctx", "strand"}) {
    const auto it = mc_ratio.find(std::string("liveness/") + mode);
    if (it == mc_ratio.end()) continue;
    const bool ok = it->second <= 1.1;
    targets << "| 2 threads (" << (std::string(mode) == "ctx" ? "io_context per thread" :
                                                                "one io_context, strands")
            << ") carry twice one thread's heartbeats at the same CPU per heartbeat "
               "(judged: CPU per ping within 1.1x of 1 thread) | "
            << fmt(it->second, 2) << "x the CPU per ping of 1 thread (floor: "
            << fmt(mc_ratio["floor/" + std::string(mode)], 2) << "x) | " << verdict(ok)
            << (ok ? "" : " by " + fmt(it->second - 1.1, 2) + "x") << " |\n";
    if (!ok) {
      missed << "- **2 threads, " << mode << "**: liveness needs " << fmt(it->second, 2)
             << "x the CPU per ping of one thread (the floor " << fmt(
                    mc_ratio["floor/" + std::string(mode)], 2)
             << "x): " << (std::string(mode) == "ctx"
                               ? "each io_context has its own wheel (a service per "
                                 "io_context) and its own epoll; what is left is the "
                                 "machine's 2 cores shared with the clients' processes.\n"
                               : "one io_context run by 2 threads shares one epoll and one "
                                 "scheduler queue (its mutex), each handler goes through "
                                 "its strand, and the shared wheel takes its mutex on every "
                                 "re-arm from both threads.\n");
    }
  }
  {
    const auto reg_ctx = mc_ratio.find("liveness_registry/ctx");
    const auto reg_strand = mc_ratio.find("liveness_registry/strand");
    if (reg_ctx != mc_ratio.end() && reg_strand != mc_ratio.end()) {
      const bool ok = reg_ctx->second <= 1.1;
      targets << "| the registry does not serialise every session on one strand | one "
                 "registry on 2 threads: all its sessions on its strand ("
              << fmt(reg_strand->second, 2) << "x the CPU per ping of 1 thread); one "
              << "registry per io_context: " << fmt(reg_ctx->second, 2) << "x | "
              << (ok ? "**met** with one registry per io_context (one registry "
                       "serialises by contract)"
                     : "**missed**")
              << " |\n";
      missed << "- **Registry**: a registry and its sessions run on one strand "
                "(docs/registry.md, \"Threads and lifetime\"), so one registry serialises "
                "every session it holds: with 2 threads and one registry the sessions "
                "share that strand ("
             << fmt(reg_strand->second, 2) << "x the CPU per ping of one thread, and one "
             << "thread's worth of heartbeats at most). One registry per io_context "
                "(each its own thread) does not serialise: "
             << fmt(reg_ctx->second, 2)
             << "x. Combining them (ids across registries, broadcast to all) is left to "
                "the application.\n";
    }
  }

  // ---- Accept bursts ---------------------------------------------------------------------
  md << "## 3. Accept bursts\n\n";
  md << "After a restart every client reconnects at once: each client process opens all its "
        "connections together (9,000 per process), the server accepts (liveness: "
        "`liveness::async_accept_loop`, which drains the accept queue, with keepalive "
        "applied once to the listener and inherited by the sessions "
        "(`keepalive_inherited`), as docs/accept.md recommends, and starts a session per "
        "socket; hand-rolled: an `async_accept` loop that starts the two-timer connection, "
        "no keepalive). Up: from the first accept to the last connection set up. Overflows: "
        "the kernel's `TcpExtListenOverflows` during the run (a connection the full accept "
        "queue dropped; its client's SYN is retried after 1 s, then 3 s...). Setup CPU: the "
        "server's CPU from its start until all were up (heartbeats of the first sessions "
        "included).\n\n";
  md << "| run | implementation | N | up s | overflows | setup CPU s |\n"
        "|---:|---|---:|---:|---:|---:|\n";
  std::map<std::string, std::vector<double>> up_by, ov_by;
  std::map<std::string, int> run_no;
  for (const auto& r : burst) {
    if (r.count("error")) continue;
    const std::string impl = str(r, "impl");
    up_by[impl].push_back(num(r, "up_s"));
    ov_by[impl].push_back(num(r, "listen_overflows"));
    md << "| " << ++run_no[impl] << " | " << impl << " | " << str(r, "n") << " | "
       << fmt(num(r, "up_s"), 2) << " | " << str(r, "listen_overflows") << " | "
       << fmt(num(r, "setup_cpu_s"), 2) << " |\n";
  }
  md << "\n";
  if (!up_by["liveness"].empty() && !up_by["asio"].empty()) {
    auto lv_up = up_by["liveness"];
    auto as_up = up_by["asio"];
    auto lv_ov = ov_by["liveness"];
    auto as_ov = ov_by["asio"];
    const double lu = bench::quantile(lv_up, 0.5), au = bench::quantile(as_up, 0.5);
    const double lo = bench::quantile(lv_ov, 0.5), ao = bench::quantile(as_ov, 0.5);
    const bool ok = lu <= au * 1.1 && lo <= ao;
    targets << "| accept bursts: accept and start sessions at least as fast as the "
               "hand-rolled server (" << str(burst.front(), "n") << " clients at once) | "
            << "median up " << fmt(lu, 2) << " s vs " << fmt(au, 2) << " s, overflows "
            << fmt(lo, 0) << " vs " << fmt(ao, 0) << " | " << verdict(ok)
            << (ok ? "" : " (" + fmt(lu / au, 2) + "x the time)") << " |\n";
    if (!ok) {
      missed << "- **Accept bursts**: liveness is up after " << fmt(lu, 2)
             << " s (median), the hand-rolled server after " << fmt(au, 2)
             << " s; overflows " << fmt(lo, 0) << " vs " << fmt(ao, 0)
             << ". The loop drains the accept queue and the sessions take keepalive from "
                "the listener, so the setup CPU per connection is close to the hand-rolled "
                "one (docs/accept.md); what a session still adds is its state, its "
                "keepalive's kernel timers, the `epoll_ctl` of its background read's first "
                "wait and its first steps. While the accept queue is full the kernel drops "
                "the handshakes, and each dropped client retries its SYN only after 1 s, so "
                "the up time varies a lot between runs of the same server.\n";
    }
  }

  // ---- io_uring --------------------------------------------------------------------------
  md << "## 4. io_uring\n\n";
  md << "The same fleet server built a second time with `BOOST_ASIO_HAS_IO_URING` and "
        "`BOOST_ASIO_DISABLE_EPOLL` (Asio then runs sockets and timers on io_uring; Debian "
        "liburing-dev), against the epoll build in the same run.\n\n";
  md << "| implementation | backend | N | CPU s/min | CPU us/ping | RSS bytes/conn | setup s "
        "|\n|---|---|---:|---:|---:|---:|---:|\n";
  std::map<std::string, double> uring_cpu;
  for (const auto& r : uring) {
    if (r.count("error")) continue;
    uring_cpu[str(r, "impl") + "/" + str(r, "tag")] = num(r, "cpu_us_per_ping");
    md << "| " << str(r, "impl") << " | " << str(r, "tag") << " | " << str(r, "n") << " | "
       << fmt(num(r, "cpu_s_per_min"), 3) << " | " << fmt(num(r, "cpu_us_per_ping"), 2)
       << " | " << fmt(num(r, "bytes_per_conn"), 0) << " | " << fmt(num(r, "setup_s"), 1)
       << " |\n";
  }
  md << "\n";
  if (uring_cpu.count("liveness/uring") && uring_cpu.count("liveness/epoll")) {
    const double r = uring_cpu["liveness/uring"] / uring_cpu["liveness/epoll"];
    const double rf = uring_cpu.count("floor/uring") && uring_cpu.count("floor/epoll")
                          ? uring_cpu["floor/uring"] / uring_cpu["floor/epoll"]
                          : std::nan("");
    // Helps only when both servers gain at least 5 %; costs more when both lose 5 %.
    const std::string what = r < 0.95 && rf < 0.95   ? "helps"
                             : r > 1.05 && rf > 1.05 ? "costs more"
                                                     : "makes no clear difference";
    md << "CPU per ping with io_uring vs epoll: liveness " << fmt(r, 2) << "x, floor "
       << fmt(rf, 2) << "x: io_uring " << what
       << " for the idle fleet (judged: helps when both gain at least 5 %).\n\n";
    targets << "| io_uring (measured; adopt as an option only if it helps) | liveness "
            << fmt(r, 2) << "x the CPU per ping of epoll (floor " << fmt(rf, 2) << "x) | "
            << what << " |\n";
  }

  // ---- 2. Detection accuracy -------------------------------------------------------------
  const auto det = of_kind("detection");
  const auto ctl = of_kind("detection_control");
  md << "## 5. Detection accuracy\n\n";
  md << "Sessions on loopback in one process, the server end a liveness session (ping/pong, "
        "server pings); each peer answers pings until a random moment, then hangs (socket "
        "open, nothing read or written). Detection time is measured from the peer's last "
        "byte to the session's death report, divided by the budget (interval + timeout): "
        "1.00 is exactly on budget. A death while the peer still answered, or for another "
        "reason than `heartbeat_timeout`, is a false alarm; the control run (same length, "
        "no peer hangs) must report none.\n\n";
  md << "| timer | sessions | budget | min | median | p99 | max | p99 late by | detected | "
        "missed | false alarms | control false alarms |\n";
  md << "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n";
  bool det_ok = !det.empty();
  std::string det_worst;
  for (const auto& r : det) {
    std::string control = "n/a";
    double control_fa = 0;
    for (const auto& c : ctl) {
      if (str(c, "timer") == str(r, "timer")) {
        control = str(c, "false_alarms");
        control_fa = num(c, "false_alarms");
      }
    }
    const double budget = num(r, "budget_ms");
    const double p99 = num(r, "p99");
    const double limit = 1.02 + 20.0 / budget;
    const bool ok = p99 <= limit && num(r, "false_alarms") == 0 && control_fa == 0 &&
                    num(r, "missed") == 0;
    if (!ok) det_ok = false;
    if (str(r, "timer") == "wheel" || det_worst.empty()) {
      det_worst = "p99 " + fmt(p99, 3) + "x budget (limit " + fmt(limit, 3) + "x), " +
                  str(r, "false_alarms") + " + " + control + " false alarms (" + str(r, "timer") +
                  ")";
    }
    if (!ok) {
      missed << "- **Detection** (" << str(r, "timer") << "): p99 " << fmt(p99, 3)
             << "x budget against a limit of " << fmt(limit, 3) << "x (over by "
             << fmt((p99 - limit) * budget, 1) << " ms), " << str(r, "false_alarms")
             << " false alarms, " << control << " in the control run, " << str(r, "missed")
             << " missed. Late reports come from the timer resolution (wheel tick) and from "
                "the io_context thread being busy when many sessions expire together.\n";
    }
    md << "| " << str(r, "timer") << " | " << str(r, "sessions") << " | " << fmt(budget, 0)
       << " ms | " << fmt(num(r, "min"), 3) << " | " << fmt(num(r, "median"), 3) << " | "
       << fmt(p99, 3) << " | " << fmt(num(r, "max"), 3) << " | "
       << fmt(num(r, "late_ms_p99"), 1) << " ms | " << str(r, "detected") << " | "
       << str(r, "missed") << " | " << str(r, "false_alarms") << " | " << control << " |\n";
  }
  md << "\nFrom the moment the peer hung instead of its last byte, the median is "
     << (det.empty() ? "n/a" : fmt(num(det.front(), "from_silence_median"), 3))
     << "x the budget (a hang shortly after a pong is found sooner than one just "
        "before the next ping is due).\n\n";
  targets << "| p99 detection within budget + 2 % + 20 ms, no false alarms | " << det_worst
          << " | " << verdict(det_ok) << " |\n";

  // ---- 3. Data path ----------------------------------------------------------------------
  const auto dp = of_kind("datapath");
  md << "## 6. Data path\n\n";
  md << "Bulk transfer one way over loopback, sender and receiver on their own threads and "
        "io_contexts, a session at both ends, against raw Asio sockets doing the same "
        "transfer (256 KiB writes and reads), for every policy and every ping/pong codec. "
        "Lines of 1 KiB so the line codec sees user lines (`codec::mqtt`: PUBLISH packets "
        "of 1 KiB); heartbeats on (1 s / 2 s, both ends ping). Best of the interleaved "
        "rounds (each round starts one configuration later). On this 2-core machine one "
        "transfer's speed swings by tens of percent from round to round and run to run, "
        "raw socket included (which core each thread and the loopback's softirq work land "
        "on), so there are many short rounds; the CPU the process spent per GiB (user + "
        "system, both ends, lowest round) is shown beside it. A ratio above 100 % means "
        "the session did better than the raw socket in this run, not that it is "
        "faster.\n\n";
  md << "| configuration | MiB | rounds | MB/s | vs raw socket | CPU s per GiB | raw CPU / CPU "
        "|\n|---|---:|---:|---:|---:|---:|---:|\n";
  double worst_ratio = 10;
  std::string worst_cfg;
  for (const auto& r : dp) {
    md << "| " << str(r, "config") << " | " << str(r, "mib") << " | " << str(r, "rounds")
       << " | " << fmt(num(r, "mb_per_s"), 0) << " | " << pct(num(r, "ratio")) << " | "
       << fmt(num(r, "cpu_s_per_gib"), 3) << " | "
       << (r.count("cpu_ratio") ? pct(num(r, "cpu_ratio")) : "n/a") << " |\n";
    if (str(r, "config") != "raw_asio" && num(r, "ratio") < worst_ratio) {
      worst_ratio = num(r, "ratio");
      worst_cfg = str(r, "config");
    }
  }
  md << "\n";
  if (!dp.empty()) {
    const bool ok = worst_ratio >= 0.97;
    targets << "| throughput at least 97 % of the raw socket, every policy and codec | lowest: "
            << worst_cfg << " at " << pct(worst_ratio) << " | " << verdict(ok)
            << (ok ? "" : " by " + fmt((0.97 - worst_ratio) * 100.0, 1) + " points") << " |\n";
    if (!ok) {
      double worst_cpu_ratio = std::nan("");
      for (const auto& r : dp)
        if (str(r, "config") == worst_cfg) worst_cpu_ratio = num(r, "cpu_ratio");
      missed << "- **Throughput** (" << worst_cfg << ") missed by "
             << fmt((0.97 - worst_ratio) * 100.0, 1)
             << " percentage points in this run; its CPU per GiB was "
             << pct(worst_cpu_ratio)
             << " of the raw socket's (raw CPU / its CPU). The session reads straight "
                "into the application's buffer when a read is pending and nothing is held, "
                "and cuts writes at `max_write_chunk` (64 KiB) so that heartbeats can "
                "interleave (the raw socket writes 256 KiB at once). On this machine the "
                "spread between runs of the same configuration, raw socket included, is "
                "larger than the differences between configurations: which one comes out "
                "lowest changes from run to run.\n";
    }
    headline << (headline.str().empty() ? "" : "; ") << "its slowest policy moves bulk data at "
             << pct(worst_ratio) << " of a raw Asio socket";
  }

  // ---- 4. Micro --------------------------------------------------------------------------
  const auto rearm = of_kind("micro_rearm");
  const auto scale = of_kind("micro_scale");
  md << "## 7. Timers alone\n\n";
  md << "The re-arm a heartbeat does on every read, without sockets, one thread: "
        "`steady_timer::expires_after` + `async_wait` (the cancelled wait's handler is "
        "run too), the shared timer wheel's `arm` (mutex and clock read included, what a "
        "session does) and the bare wheel data structure (on simulated time: each session "
        "re-armed once per second on average, 3 s ahead, the wheel's expiry pass every 4 ms "
        "tick timed too). Sessions are re-armed in a random order. `cold`: the timer's owner "
        "is not in the CPU caches; `touched`: the owner was read just before (untimed), as "
        "the read handler that re-arms has done in a real session, so the figure is what "
        "the re-arm itself adds. Timed per batch of 16 re-arms; best of 3.\n\n";
  auto micro_table = [&](const std::vector<row>& v, const std::string& k) {
    std::map<double, std::map<std::string, double>> t;
    for (const auto& r : v) t[num(r, "sessions")][str(r, "impl")] = num(r, k);
    return t;
  };
  auto cell = [](const std::map<std::string, double>& m, const char* k) {
    auto it = m.find(k);
    return it == m.end() ? std::nan("") : it->second;
  };
  const char* kinds[] = {"steady_timer", "steady_timer_touched", "shared_wheel",
                         "shared_wheel_touched", "wheel", "wheel_touched"};
  const char* header =
      "| sessions | steady_timer cold | steady_timer touched | shared wheel cold | shared "
      "wheel touched | bare wheel cold | bare wheel touched |";
  md << header << " steady_timer / shared wheel, touched |\n"
     << "|---:|---:|---:|---:|---:|---:|---:|---:|\n";
  for (const auto& e : micro_table(rearm, "ns_per_op")) {
    md << "| " << fmt(e.first, 0);
    for (const char* k : kinds) md << " | " << fmt(cell(e.second, k), 0);
    md << " | "
       << fmt(cell(e.second, "steady_timer_touched") / cell(e.second, "shared_wheel_touched"), 2)
       << "x |\n";
  }
  md << "\nScale: simulated sessions, each with one armed timer; ns per re-arm, and heap "
        "bytes per timer (glibc `mallinfo2`: timer objects, their pending operations and "
        "the vector holding them):\n\n";
  md << header << " steady_timer bytes | shared wheel bytes | bare wheel bytes |\n"
     << "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n";
  const auto scale_ns = micro_table(scale, "ns_per_op");
  const auto scale_b = micro_table(scale, "bytes_per_timer");
  for (const auto& e : scale_ns) {
    md << "| " << fmt(e.first, 0);
    for (const char* k : kinds) md << " | " << fmt(cell(e.second, k), 0);
    const auto& b = scale_b.at(e.first);
    md << " | " << fmt(cell(b, "steady_timer"), 0) << " | " << fmt(cell(b, "shared_wheel"), 0)
       << " | " << fmt(cell(b, "wheel"), 0) << " |\n";
  }
  md << "\n";
  if (scale_ns.size() >= 2) {
    const auto& small = scale_ns.begin()->second;
    const auto& large = scale_ns.rbegin()->second;
    const double n_small = scale_ns.begin()->first;
    const double n_large = scale_ns.rbegin()->first;
    auto growth_of = [&](const char* k) { return cell(large, k) / cell(small, k); };
    const double growth = growth_of("shared_wheel_touched");
    const double growth_bare = growth_of("wheel_touched");
    const double growth_steady = growth_of("steady_timer_touched");
    const double growth_cold = growth_of("shared_wheel");
    const double growth_steady_cold = growth_of("steady_timer");
    const bool flat = growth <= 1.5;
    md << "From " << fmt(n_small, 0) << " to " << fmt(n_large, 0)
       << " sessions the re-arm's own cost (owner touched) grows " << fmt(growth, 2)
       << "x with the shared wheel (bare wheel " << fmt(growth_bare, 2)
       << "x, expiry passes included) and " << fmt(growth_steady, 2)
       << "x with steady_timer (binary heap: O(log n), a cache miss per level). A re-arm to "
          "a later deadline, what a heartbeat does on every read, only records the new tick "
          "in the timer, which stays linked in its slot; the wheel's expiry pass moves it "
          "when that slot comes up, once per deadline period rather than once per read, so "
          "a re-arm touches no memory but its owner's. Cold, the cost grows "
       << fmt(growth_cold, 2) << "x with the shared wheel and " << fmt(growth_steady_cold, 2)
       << "x with steady_timer: at " << fmt(n_large, 0)
       << " sessions the owners no longer fit in the CPU caches, and reaching one (here "
          "through a vector of `shared_ptr`, then the owner: two dependent memory accesses; "
          "the steady_timers sit in the vector itself) costs what the owner's layout costs, "
          "not the timer; a session has already paid it in the read handler that re-arms, "
          "which is why the target is judged on the touched row.\n\n";
    targets << "| timer cost per re-arm flat up to " << fmt(n_large, 0)
            << " simulated sessions (growth at most 1.5x; the owner in the cache, as after "
               "its read) | shared wheel grows "
            << fmt(growth, 2) << "x from " << fmt(n_small, 0) << " (bare wheel "
            << fmt(growth_bare, 2) << "x, steady_timer " << fmt(growth_steady, 2)
            << "x; owner cold: shared wheel " << fmt(growth_cold, 2) << "x, steady_timer "
            << fmt(growth_steady_cold, 2) << "x) | " << verdict(flat)
            << (flat ? "" : " by " + fmt(growth - 1.5, 2) + "x") << " |\n";
    if (!flat) {
      missed << "- **Timer cost at scale** missed: the shared wheel's re-arm, its owner in "
                "the cache, grows "
             << fmt(growth, 2) << "x from " << fmt(n_small, 0) << " to " << fmt(n_large, 0)
             << " sessions (limit 1.5x).\n";
    }
  }

  // ---- Compile time --------------------------------------------------------------------
  const auto comp = of_kind("compile");
  md << "## 8. Compile time\n\n";
  md << "CPU seconds (user + system) of `g++ -O2 -std=c++20 -c` for one translation unit "
        "(bench/compile/), best of the repeats: `plain_asio` = an Asio socket and two "
        "`steady_timer`s used as a hand-rolled heartbeat; `liveness_session` = "
        "`<liveness/session.hpp>` and one `session<tcp::socket, ping_pong<codec::line>>` "
        "(a read, a write, `async_wait_dead`); `liveness_umbrella` = the same unit "
        "including `<liveness.hpp>`; `liveness_session_separate` = `liveness_session` with "
        "`LIVENESS_SEPARATE_COMPILATION` (docs/separate_compilation.md), whose non-template "
        "code and common sessions (this unit's among them) and their registries compile "
        "once per program in `liveness_src` (src/liveness.cpp, `<liveness/src.hpp>`).\n\n";
  md << "| translation unit | CPU s | vs plain Asio |\n|---|---:|---:|\n";
  std::map<std::string, double> ctime;
  for (const auto& r : comp) ctime[str(r, "tu")] = num(r, "cpu_s");
  for (const auto& r : comp) {
    md << "| " << str(r, "tu") << " | " << fmt(num(r, "cpu_s"), 2) << " | "
       << fmt(num(r, "cpu_s") / ctime["plain_asio"], 2) << "x |\n";
  }
  md << "\n";
  if (ctime.count("plain_asio") && ctime.count("liveness_session")) {
    const double r = ctime["liveness_session"] / ctime["plain_asio"];
    const bool have_sep = ctime.count("liveness_session_separate") > 0;
    const double rs = have_sep ? ctime["liveness_session_separate"] / ctime["plain_asio"] : 0;
    targets << "| compile time: a unit with `<liveness/session.hpp>` and one session at most "
               "1.5x the same with a plain socket and two timers (header-only, the default) | "
            << fmt(r, 2) << "x (" << fmt(ctime["liveness_session"], 2) << " s vs "
            << fmt(ctime["plain_asio"], 2) << " s; `<liveness.hpp>`: "
            << fmt(ctime["liveness_umbrella"], 2) << " s) | " << verdict(r <= 1.5)
            << (r <= 1.5 ? "" : " by " + fmt(r - 1.5, 2) + "x") << " |\n";
    if (have_sep) {
      targets << "| compile time, the same unit separately compiled "
                 "(`LIVENESS_SEPARATE_COMPILATION`; the session's own code compiled once, in "
                 "`liveness_src`: "
              << fmt(ctime["liveness_src"], 2) << " s per program) | " << fmt(rs, 2) << "x ("
              << fmt(ctime["liveness_session_separate"], 2) << " s) | " << verdict(rs <= 1.5)
              << (rs <= 1.5 ? "" : " by " + fmt(rs - 1.5, 2) + "x") << " |\n";
    }
    if (!(r <= 1.5)) {
      missed << "- **Compile time, header-only**: " << fmt(r, 2)
             << "x. The session header brings the detector, the codecs' templates, the "
                "engine, the timer wheel, keepalive and diagnosis for every platform, and "
                "instantiating one session instantiates its whole read and write machinery; "
                "the plain unit instantiates one read, one write and two waits. Separately "
                "compiled, the library's non-template code and the four common sessions "
                "(`tcp::socket` with `none`, `idle_timeout`, `ping_pong<line>`, "
                "`ping_pong<length_prefixed>`) compile once per program, in `liveness_src`, "
                "and the unit compiles each operation's thin shell for its handler, not the "
                "session's machinery"
             << (have_sep ? ": " + fmt(rs, 2) + "x" : std::string()) << ".\n";
    }
    if (have_sep && !(rs <= 1.5)) {
      missed << "- **Compile time, separately compiled**: " << fmt(rs, 2)
             << "x: the unit still compiles each operation's shell for its handler, the "
                "handle's initiating functions and Asio's own templates it uses directly "
                "(the io_context, the socket).\n";
    }
  }

  // ---- Summary ---------------------------------------------------------------------------
  std::ostringstream summary;
  summary << "## Targets\n\n| target | this run | |\n|---|---|---|\n" << targets.str() << "\n";
  if (!missed.str().empty()) summary << "Where a target is missed, by how much and why:\n\n"
                                     << missed.str() << "\n";
  std::string text = md.str();
  const auto at = text.find("@@SUMMARY@@");
  text.replace(at, 11, summary.str());
  std::ofstream(md_path) << text;
  std::ofstream(plot_dir + "/headline.txt") << headline.str() << ".\n";
  {
    // The ratios README's headline takes, one `key=value` a line.
    std::ofstream h(plot_dir + "/headline.env");
    for (const double n : sizes) {
      for (const char* other : {"floor", "asio", "beast"}) {
        h << "cpu_liveness_vs_" << other << "_" << fmt(n, 0) << "="
          << fmt(get("liveness", n, "cpu_s_per_min") / get(other, n, "cpu_s_per_min"), 2)
          << "\n";
      }
      if (per_ping_vs_floor.count(n))
        h << "cpu_per_ping_vs_floor_median_" << fmt(n, 0) << "=" << fmt(per_ping_vs_floor[n], 2)
          << "\n";
      h << "bytes_beyond_floor_" << fmt(n, 0) << "="
        << fmt(get("liveness", n, "bytes_per_conn") - get("floor", n, "bytes_per_conn"), 0)
        << "\n";
    }
    if (!dp.empty()) h << "throughput_worst=" << worst_cfg << ":" << pct(worst_ratio) << "\n";
  }
  std::cout << "wrote " << md_path << "\n";
  return 0;
}
