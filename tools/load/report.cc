// Copyright 2026 The sluice Authors.

#include "load/report.h"

#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <functional>
#include <optional>
#include <string>

#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"

namespace sluice::load {
namespace {

struct Spread {
  double median = 0;
  double min = 0;
  double max = 0;
};

Spread Over(const std::vector<RoundResult>& rounds,
            const std::function<double(const RoundResult&)>& metric) {
  std::vector<double> values;
  for (const RoundResult& r : rounds) values.push_back(metric(r));
  Spread s;
  if (values.empty()) return s;
  std::sort(values.begin(), values.end());
  const size_t n = values.size();
  s.median = n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
  s.min = values.front();
  s.max = values.back();
  return s;
}

// "median" with `digits` decimals, and "(min-max)" after it over rounds.
std::string Format(const Spread& s, int rounds, int digits) {
  std::string text = absl::StrFormat("%.*f", digits, s.median);
  if (rounds > 1) {
    text += absl::StrFormat(" (%.*f-%.*f)", digits, s.min, digits, s.max);
  }
  return text;
}

uint64_t Sum(const std::vector<RoundResult>& rounds,
             uint64_t RoundResult::*field) {
  uint64_t total = 0;
  for (const RoundResult& r : rounds) total += r.*field;
  return total;
}

std::map<std::string, uint64_t> Errors(const std::vector<RoundResult>& rounds) {
  std::map<std::string, uint64_t> errors;
  for (const RoundResult& r : rounds) {
    for (const auto& [code, count] : r.errors) errors[code] += count;
  }
  return errors;
}

std::string ErrorText(const std::map<std::string, uint64_t>& errors) {
  std::string text;
  for (const auto& [code, count] : errors) {
    text += absl::StrFormat("%s%s:%u", text.empty() ? "" : ",", code, count);
  }
  return text.empty() ? "-" : text;
}

// Failed if any round failed, else unreconciled if any round was, else
// reconciled.
Reconciliation Overall(const std::vector<RoundResult>& rounds) {
  Reconciliation overall = Reconciliation::kReconciled;
  for (const RoundResult& r : rounds) {
    if (r.reconciliation == Reconciliation::kFailed) {
      return Reconciliation::kFailed;
    }
    if (r.reconciliation == Reconciliation::kUnreconciled) {
      overall = Reconciliation::kUnreconciled;
    }
  }
  return overall;
}

constexpr double kMiB = 1 << 20;

// Class k's share of the bytes all classes sent over `rounds` (0 to 1).
double ByteShare(const std::vector<RoundResult>& rounds, size_t k) {
  uint64_t total = 0;
  uint64_t mine = 0;
  for (const RoundResult& r : rounds) {
    for (const ClassResult& c : r.classes) total += c.bytes;
    if (k < r.classes.size()) mine += r.classes[k].bytes;
  }
  return total > 0 ? double(mine) / double(total) : 0;
}

// Class k's weight's share of all the weights (0 to 1).
double WeightShare(const std::vector<ClassResult>& classes, size_t k) {
  double total = 0;
  for (const ClassResult& c : classes) total += c.weight;
  return total > 0 ? classes[k].weight / total : 0;
}

double ClassMibPerS(const RoundResult& r, size_t k) {
  return r.seconds > 0 && k < r.classes.size()
             ? double(r.classes[k].bytes) / kMiB / r.seconds
             : 0;
}

uint64_t ClassTransfers(const std::vector<RoundResult>& rounds, size_t k) {
  uint64_t total = 0;
  for (const RoundResult& r : rounds) {
    if (k < r.classes.size()) total += r.classes[k].transfers;
  }
  return total;
}

const BackendRounds* Find(const std::vector<BackendRounds>& results,
                          BackendKind kind) {
  for (const BackendRounds& b : results) {
    if (b.backend == kind) return &b;
  }
  return nullptr;
}

double Median(const BackendRounds& b,
              const std::function<double(const RoundResult&)>& metric) {
  return Over(b.rounds, metric).median;
}

// The median delivered rate over the ceiling (0 without one).
double RateRatio(const BackendRounds& b) {
  if (b.rounds.empty() || !b.rounds.front().max_rate.has_value()) return 0;
  return Median(b, [](auto& r) { return r.rate_p50_bytes_per_s; }) /
         double(b.rounds.front().max_rate->bytes_per_second);
}

// null without a ceiling.
nlohmann::json MaxRateJson(const std::optional<MaxRate>& max_rate) {
  if (!max_rate.has_value()) return nlohmann::json();
  return {{"bytes_per_second", max_rate->bytes_per_second},
          {"after_bytes", max_rate->after_bytes}};
}

nlohmann::json RoundJson(const RoundResult& r) {
  nlohmann::json errors = nlohmann::json::object();
  for (const auto& [code, count] : r.errors) errors[code] = count;
  nlohmann::json classes = nlohmann::json::array();
  for (size_t k = 0; k < r.classes.size(); ++k) {
    const ClassResult& c = r.classes[k];
    classes.push_back({{"name", c.name},
                       {"weight", c.weight},
                       {"bytes", c.bytes},
                       {"transfers", c.transfers},
                       {"mib_per_s", ClassMibPerS(r, k)}});
  }
  nlohmann::json delivered;  // null without a ceiling
  if (r.max_rate.has_value()) {
    delivered = {{"transfers", r.rate_samples},
                 {"p10_mib_per_s", r.rate_p10_bytes_per_s / kMiB},
                 {"p50_mib_per_s", r.rate_p50_bytes_per_s / kMiB},
                 {"p90_mib_per_s", r.rate_p90_bytes_per_s / kMiB},
                 {"p50_to_rate", r.rate_p50_bytes_per_s /
                                     double(r.max_rate->bytes_per_second)}};
  }
  const bool unreconciled = r.reconciliation == Reconciliation::kUnreconciled;
  return {
      {"backend", std::string(BackendKindName(r.backend))},
      {"bytes", r.bytes},
      {"file_bytes", r.file_bytes},
      {"transfers", r.transfers},
      {"seconds", r.seconds},
      {"gib_per_s", r.gib_per_s()},
      {"transfers_per_s", r.transfers_per_s()},
      {"cpu_s_per_gib", r.cpu_s_per_gib()},
      {"latency_us",
       {{"p50", r.latency_p50_us},
        {"p99", r.latency_p99_us},
        {"p999", r.latency_p999_us}}},
      {"cold_transfers", r.cold_transfers},
      {"cold_latency_us",
       {{"p50", r.cold_latency_p50_us}, {"p99", r.cold_latency_p99_us}}},
      {"cold_bytes", r.cold_bytes},
      {"longest_call_ns", r.longest_call_ns},
      {"submits_per_transfer",
       r.transfers ? double(r.syscalls) / double(r.transfers) : 0.0},
      {"sqes_per_submit", r.submits ? double(r.sqes) / double(r.submits) : 0.0},
      {"classes", classes},
      {"max_rate", MaxRateJson(r.max_rate)},
      {"delivered_rate", delivered},
      {"rate_waits", r.rate_waits},
      {"paced_transfers", r.paced_transfers},
      {"errors", errors},
      // null: the sink sends no acknowledgement (--sink-ack=false).
      {"sink_bytes",
       unreconciled ? nlohmann::json() : nlohmann::json(r.acked.bytes)},
      {"sink_mismatched_bytes", unreconciled
                                    ? nlohmann::json()
                                    : nlohmann::json(r.acked.mismatched_bytes)},
      {"reconciled", r.reconciliation == Reconciliation::kReconciled},
      {"reconciliation", ReconciliationName(r.reconciliation)},
  };
}

std::string CpuModel() {
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::string line;
  while (std::getline(cpuinfo, line)) {
    absl::string_view view = line;
    if (absl::ConsumePrefix(&view, "model name")) {
      const size_t colon = view.find(':');
      if (colon != absl::string_view::npos) {
        return std::string(absl::StripAsciiWhitespace(view.substr(colon + 1)));
      }
    }
  }
  return "unknown";
}

// --classes: per backend and class, what it got against what its weight
// asks for.
void PrintClasses(std::FILE* out, const std::vector<BackendRounds>& results) {
  std::fprintf(out,
               "\n--classes: bytes per class (heads included); shares follow "
               "the weights only while every class has bytes waiting\n"
               "%-9s %-16s %8s %-24s %12s %8s %9s\n",
               "backend", "class", "weight", "MiB/s", "transfers", "share %",
               "weight %");
  for (const BackendRounds& b : results) {
    const int n = static_cast<int>(b.rounds.size());
    const std::vector<ClassResult>& classes = b.rounds.front().classes;
    for (size_t k = 0; k < classes.size(); ++k) {
      std::fprintf(
          out, "%-9s %-16s %8u %-24s %12llu %8.1f %9.1f\n",
          std::string(BackendKindName(b.backend)).c_str(),
          classes[k].name.c_str(), classes[k].weight,
          Format(Over(b.rounds, [k](auto& r) { return ClassMibPerS(r, k); }), n,
                 1)
              .c_str(),
          static_cast<unsigned long long>(ClassTransfers(b.rounds, k)),
          100 * ByteShare(b.rounds, k), 100 * WeightShare(classes, k));
    }
  }
}

// --rate: what each transfer delivered against the ceiling.
void PrintRates(std::FILE* out, const std::vector<BackendRounds>& results) {
  const MaxRate& ceiling = *results.front().rounds.front().max_rate;
  std::fprintf(out,
               "\n--rate %.2f MiB/s%s: per transfer, file bytes over Submit() "
               "to callback\n"
               "%-9s %12s %-24s %8s %12s %12s\n",
               double(ceiling.bytes_per_second) / kMiB,
               ceiling.after_bytes > 0
                   ? absl::StrFormat(" after %.2f MiB at full speed",
                                     double(ceiling.after_bytes) / kMiB)
                         .c_str()
                   : "",
               "backend", "transfers", "MiB/s p10/p50/p90", "p50/rate",
               "rate waits", "paced");
  for (const BackendRounds& b : results) {
    std::fprintf(
        out, "%-9s %12llu %-24s %8.2f %12llu %12llu\n",
        std::string(BackendKindName(b.backend)).c_str(),
        static_cast<unsigned long long>(
            Sum(b.rounds, &RoundResult::rate_samples)),
        absl::StrFormat(
            "%.2f/%.2f/%.2f",
            Median(b, [](auto& r) { return r.rate_p10_bytes_per_s; }) / kMiB,
            Median(b, [](auto& r) { return r.rate_p50_bytes_per_s; }) / kMiB,
            Median(b, [](auto& r) { return r.rate_p90_bytes_per_s; }) / kMiB)
            .c_str(),
        RateRatio(b),
        static_cast<unsigned long long>(
            Sum(b.rounds, &RoundResult::rate_waits)),
        static_cast<unsigned long long>(
            Sum(b.rounds, &RoundResult::paced_transfers)));
  }
}

}  // namespace

void PrintReport(std::FILE* out, const std::vector<BackendRounds>& results) {
  std::fprintf(out, "%-9s %-20s %-24s %9s %-24s %10s %10s %s\n", "backend",
               "GiB/s", "transfers/s", "cpu s/GiB", "latency p50/p99/p99.9 us",
               "calls/xfer", "sqes/enter", "errors");
  for (const BackendRounds& b : results) {
    const int n = static_cast<int>(b.rounds.size());
    const uint64_t transfers = Sum(b.rounds, &RoundResult::transfers);
    const uint64_t syscalls = Sum(b.rounds, &RoundResult::syscalls);
    const uint64_t submits = Sum(b.rounds, &RoundResult::submits);
    const uint64_t sqes = Sum(b.rounds, &RoundResult::sqes);
    std::fprintf(
        out, "%-9s %-20s %-24s %9.3f %-24s %10.2f %10s %s\n",
        std::string(BackendKindName(b.backend)).c_str(),
        Format(Over(b.rounds, [](auto& r) { return r.gib_per_s(); }), n, 2)
            .c_str(),
        Format(Over(b.rounds, [](auto& r) { return r.transfers_per_s(); }), n,
               0)
            .c_str(),
        Median(b, [](auto& r) { return r.cpu_s_per_gib(); }),
        absl::StrFormat("%.0f/%.0f/%.0f",
                        Median(b, [](auto& r) { return r.latency_p50_us; }),
                        Median(b, [](auto& r) { return r.latency_p99_us; }),
                        Median(b, [](auto& r) { return r.latency_p999_us; }))
            .c_str(),
        transfers ? double(syscalls) / double(transfers) : 0.0,
        submits
            ? absl::StrFormat("%.1f", double(sqes) / double(submits)).c_str()
            : "-",
        ErrorText(Errors(b.rounds)).c_str());
  }
  for (const BackendRounds& b : results) {
    if (Overall(b.rounds) == Reconciliation::kUnreconciled) {
      std::fprintf(
          out,
          "%-9s unreconciled: the sink sends no acknowledgement "
          "(--sink-ack=false), so the %llu bytes sent were not "
          "checked against what it received\n",
          std::string(BackendKindName(b.backend)).c_str(),
          static_cast<unsigned long long>(Sum(b.rounds, &RoundResult::bytes)));
    }
  }
  if (Sum(results.front().rounds, &RoundResult::cold_transfers) > 0) {
    std::fprintf(out,
                 "\n--cold: the latency above is the hot transfers' only\n"
                 "%-9s %14s %-24s %12s %14s\n",
                 "backend", "cold xfers", "cold latency p50/p99 us", "cold MiB",
                 "stall ms (max)");
    for (const BackendRounds& b : results) {
      uint64_t longest = 0;
      for (const RoundResult& r : b.rounds) {
        longest = std::max(longest, r.longest_call_ns);
      }
      std::fprintf(out, "%-9s %14llu %-24s %12.1f %14.1f\n",
                   std::string(BackendKindName(b.backend)).c_str(),
                   static_cast<unsigned long long>(
                       Sum(b.rounds, &RoundResult::cold_transfers)),
                   absl::StrFormat(
                       "%.0f/%.0f",
                       Median(b, [](auto& r) { return r.cold_latency_p50_us; }),
                       Median(b, [](auto& r) { return r.cold_latency_p99_us; }))
                       .c_str(),
                   double(Sum(b.rounds, &RoundResult::cold_bytes)) / (1 << 20),
                   double(longest) / 1e6);
    }
  }
  if (!results.front().rounds.front().classes.empty()) {
    PrintClasses(out, results);
  }
  if (results.front().rounds.front().max_rate.has_value()) {
    PrintRates(out, results);
  }
  const BackendRounds* base = Find(results, BackendKind::kSendfile);
  if (base == nullptr || results.size() < 2) return;
  const double base_gib = Median(*base, [](auto& r) { return r.gib_per_s(); });
  const double base_xfers =
      Median(*base, [](auto& r) { return r.transfers_per_s(); });
  const double base_cpu =
      Median(*base, [](auto& r) { return r.cpu_s_per_gib(); });
  std::fprintf(out, "\nvs sendfile (medians): GiB/s, transfers/s, cpu/GiB\n");
  for (const BackendRounds& b : results) {
    std::fprintf(
        out, "%-9s %6.2fx %6.2fx %6.2fx\n",
        std::string(BackendKindName(b.backend)).c_str(),
        base_gib > 0
            ? Median(b, [](auto& r) { return r.gib_per_s(); }) / base_gib
            : 0,
        base_xfers > 0
            ? Median(b, [](auto& r) { return r.transfers_per_s(); }) /
                  base_xfers
            : 0,
        base_cpu > 0
            ? Median(b, [](auto& r) { return r.cpu_s_per_gib(); }) / base_cpu
            : 0);
  }
}

nlohmann::json ReportJson(const nlohmann::json& params,
                          const std::vector<BackendRounds>& results) {
  utsname name{};
  ::uname(&name);
  nlohmann::json out;
  out["params"] = params;
  out["machine"] = {{"kernel", name.release},
                    {"cores", ::sysconf(_SC_NPROCESSORS_ONLN)},
                    {"cpu", CpuModel()}};
  out["results"] = nlohmann::json::array();
  for (const BackendRounds& b : results) {
    nlohmann::json rounds = nlohmann::json::array();
    for (const RoundResult& r : b.rounds) rounds.push_back(RoundJson(r));
    const uint64_t transfers = Sum(b.rounds, &RoundResult::transfers);
    nlohmann::json errors = nlohmann::json::object();
    for (const auto& [code, count] : Errors(b.rounds)) errors[code] = count;
    nlohmann::json classes = nlohmann::json::array();
    const std::vector<ClassResult>& round_classes = b.rounds.front().classes;
    for (size_t k = 0; k < round_classes.size(); ++k) {
      uint64_t bytes = 0;
      for (const RoundResult& r : b.rounds) bytes += r.classes[k].bytes;
      classes.push_back(
          {{"name", round_classes[k].name},
           {"weight", round_classes[k].weight},
           {"bytes", bytes},
           {"transfers", ClassTransfers(b.rounds, k)},
           {"mib_per_s",
            Median(b, [k](auto& r) { return ClassMibPerS(r, k); })},
           {"byte_share", ByteShare(b.rounds, k)},
           {"weight_share", WeightShare(round_classes, k)}});
    }
    const std::optional<MaxRate>& max_rate = b.rounds.front().max_rate;
    nlohmann::json delivered;  // null without a ceiling
    if (max_rate.has_value()) {
      delivered = {
          {"transfers", Sum(b.rounds, &RoundResult::rate_samples)},
          {"p10_mib_per_s",
           Median(b, [](auto& r) { return r.rate_p10_bytes_per_s; }) / kMiB},
          {"p50_mib_per_s",
           Median(b, [](auto& r) { return r.rate_p50_bytes_per_s; }) / kMiB},
          {"p90_mib_per_s",
           Median(b, [](auto& r) { return r.rate_p90_bytes_per_s; }) / kMiB},
          {"p50_to_rate", RateRatio(b)}};
    }
    double seconds = 0;
    uint64_t longest_call_ns = 0;
    for (const RoundResult& r : b.rounds) {
      seconds += r.seconds;
      longest_call_ns = std::max(longest_call_ns, r.longest_call_ns);
    }
    out["results"].push_back({
        {"backend", std::string(BackendKindName(b.backend))},
        {"bytes", Sum(b.rounds, &RoundResult::bytes)},
        {"file_bytes", Sum(b.rounds, &RoundResult::file_bytes)},
        {"transfers", transfers},
        {"seconds", seconds},
        {"gib_per_s", Median(b, [](auto& r) { return r.gib_per_s(); })},
        {"transfers_per_s",
         Median(b, [](auto& r) { return r.transfers_per_s(); })},
        {"cpu_s_per_gib", Median(b, [](auto& r) { return r.cpu_s_per_gib(); })},
        {"latency_us",
         {{"p50", Median(b, [](auto& r) { return r.latency_p50_us; })},
          {"p99", Median(b, [](auto& r) { return r.latency_p99_us; })},
          {"p999", Median(b, [](auto& r) { return r.latency_p999_us; })}}},
        {"submits_per_transfer",
         transfers
             ? double(Sum(b.rounds, &RoundResult::syscalls)) / double(transfers)
             : 0.0},
        {"cold_transfers", Sum(b.rounds, &RoundResult::cold_transfers)},
        {"cold_bytes", Sum(b.rounds, &RoundResult::cold_bytes)},
        {"longest_call_ns", longest_call_ns},
        {"classes", classes},
        {"max_rate", MaxRateJson(max_rate)},
        {"delivered_rate", delivered},
        {"rate_waits", Sum(b.rounds, &RoundResult::rate_waits)},
        {"paced_transfers", Sum(b.rounds, &RoundResult::paced_transfers)},
        {"errors", errors},
        {"reconciliation", ReconciliationName(Overall(b.rounds))},
        {"rounds", rounds},
    });
  }
  return out;
}

}  // namespace sluice::load
