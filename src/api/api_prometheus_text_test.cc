#include <gtest/gtest.h>

#include <cmath>
#include <regex>
#include <set>

#include "api/api.h"
#include "api/request_id.h"

namespace vigil::api {
namespace {

TEST(PrometheusTextTest, HelpTypeLabelsAndValues) {
  Registry registry;
  registry.NewCounter("vigil_requests_total", "Requests.\nBy code \\ path", {{"code", "200"}})
      ->Add(3);
  registry.NewGauge("vigil_temperature", "A gauge")->Set(-1.5);
  registry
      .NewCounter("vigil_requests_total", "Requests.\nBy code \\ path",
                  {{"code", "5\"0\"0"}, {"path", "a\\b\nc"}})
      ->Add(1'000'000'000'000ULL);
  registry.NewGauge("vigil_nan", "x")->Set(NAN);
  registry.NewGauge("vigil_inf", "y", {{"sign", "+"}})->Set(INFINITY);
  registry.NewGauge("vigil_inf", "y", {{"sign", "-"}})->Set(-INFINITY);
  registry.NewGauge("vigil_small", "z")->Set(1.25e-7);
  registry.NewCallbackGauge("vigil_series", "Series", [] { return 42.0; });

  EXPECT_EQ(RenderPrometheusText(registry),
            "# HELP vigil_requests_total Requests.\\nBy code \\\\ path\n"
            "# TYPE vigil_requests_total counter\n"
            "vigil_requests_total{code=\"200\"} 3\n"
            "vigil_requests_total{code=\"5\\\"0\\\"0\",path=\"a\\\\b\\nc\"} 1000000000000\n"
            "# HELP vigil_temperature A gauge\n"
            "# TYPE vigil_temperature gauge\n"
            "vigil_temperature -1.5\n"
            "# HELP vigil_nan x\n"
            "# TYPE vigil_nan gauge\n"
            "vigil_nan NaN\n"
            "# HELP vigil_inf y\n"
            "# TYPE vigil_inf gauge\n"
            "vigil_inf{sign=\"+\"} +Inf\n"
            "vigil_inf{sign=\"-\"} -Inf\n"
            "# HELP vigil_small z\n"
            "# TYPE vigil_small gauge\n"
            "vigil_small 1.25e-07\n"
            "# HELP vigil_series Series\n"
            "# TYPE vigil_series gauge\n"
            "vigil_series 42\n");
}

TEST(PrometheusTextTest, EmptyRegistry) {
  Registry registry;
  EXPECT_EQ(RenderPrometheusText(registry), "");
}

TEST(RequestIdTest, UuidShapedAndUnique) {
  RequestIdGenerator ids(7);
  const std::regex uuid("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
  std::set<std::string> seen;
  for (int i = 0; i < 20000; ++i) {
    const std::string id = ids.Next();
    ASSERT_TRUE(std::regex_match(id, uuid)) << id;
    ASSERT_TRUE(seen.insert(id).second) << id;
  }
  RequestIdGenerator a, b;  // randomly seeded generators differ
  EXPECT_NE(a.Next(), b.Next());
}

}  // namespace
}  // namespace vigil::api
