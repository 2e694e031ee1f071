// The pure parts of a canary: JSON paths, the checks of an answer, the rules of specs.
#include "canary/check.h"

#include <gtest/gtest.h>

namespace vigil::canary {
namespace {

using nlohmann::json;

TEST(JsonPathTest, PointersAndDollarPathsSelectTheSameValues) {
  const json doc = json::parse(R"({"items":[{"product_id":2,"tags":["a"]}],"a/b":{"~":true},
                                  "odd.key":1,"n":null})");
  struct Case {
    std::string path;
    json want;
  } cases[] = {
      {"", doc},
      {"$", doc},
      {"/items/0/product_id", 2},
      {"$.items[0].product_id", 2},
      {"$.items.0.product_id", 2},
      {"$['items'][0][\"tags\"][0]", "a"},
      {"/a~1b/~0", true},
      {"$['a/b']['~']", true},
      {"$['odd.key']", 1},
      {"$.n", nullptr},
  };
  for (const Case& c : cases) {
    StatusOr<JsonPath> path = ParseJsonPath(c.path);
    ASSERT_TRUE(path.ok()) << c.path << ": " << path.status().ToString();
    std::string missing;
    const json* v = FindJson(doc, *path, &missing);
    ASSERT_NE(v, nullptr) << c.path << ": " << missing;
    EXPECT_EQ(*v, c.want) << c.path;
  }
}

TEST(JsonPathTest, MissingValuesSayWhatIsMissing) {
  const json doc = json::parse(R"({"items":[{"id":1}],"count":3})");
  struct Case {
    std::string path, missing;
  } cases[] = {
      {"$.nope", "no key 'nope'"},
      {"$.items[3]", "index 3 out of 1 elements"},
      {"/items/1/id", "index 1 out of 1 elements"},
      {"$.count.x", "'count' is a number, not an object"},
      {"$.items.id", "'items' is an array, not an object"},
      {"$[0]", "the body is an object, not an array"},
  };
  for (const Case& c : cases) {
    StatusOr<JsonPath> path = ParseJsonPath(c.path);
    ASSERT_TRUE(path.ok()) << c.path;
    std::string missing;
    EXPECT_EQ(FindJson(doc, *path, &missing), nullptr) << c.path;
    EXPECT_EQ(missing, c.missing) << c.path;
  }
}

TEST(JsonPathTest, BadPathsAreRefusedWithWhere) {
  struct Case {
    std::string path, error;
  } cases[] = {
      {"items", "expected a JSON pointer"},
      {"$.", "empty key at offset 1"},
      {"$.a..b", "empty key at offset 3"},
      {"$.a[", "missing ']' at offset 4"},
      {"$.a[x]", "bad array index 'x' at offset 4"},
      {"$.a['b]", "unterminated quoted key at offset 4"},
      {"$.a['b'", "expected ']' at offset 7"},
      {"$a", "expected '.' or '[' at offset 1"},
      {"/a~2", "'~' at offset 2 must be followed by 0 or 1"},
  };
  for (const Case& c : cases) {
    StatusOr<JsonPath> path = ParseJsonPath(c.path);
    ASSERT_FALSE(path.ok()) << c.path;
    EXPECT_NE(path.status().message().find(c.error), std::string::npos)
        << c.path << ": " << path.status().message();
  }
}

TEST(CheckAnswerTest, EachCheckPassesAndFailsWithItsReason) {
  Step step;
  step.expect_status = 200;
  step.body_contains = "\"id\"";
  step.json_equals = {{"$.items[0].id", "2"}, {"/ok", "true"}, {"$.name", "\"shop\""}};
  step.max_latency_ms = 100;
  const std::string good = R"({"items":[{"id":2.0}],"ok":true,"name":"shop"})";
  EXPECT_EQ(CheckAnswer(step, {200, good, 40}), "");
  EXPECT_EQ(CheckAnswer(step, {503, good, 40}), "status 503, expected 200");
  EXPECT_EQ(CheckAnswer(step, {200, good, 150}), "took 150 ms, more than the limit of 100 ms");
  EXPECT_EQ(CheckAnswer(step, {200, R"({"items":[]})", 40}),
            "body does not contain '\"id\"' (body: '{\"items\":[]}')");
  EXPECT_EQ(CheckAnswer(step, {200, R"(<p>"id"</p>)", 40}),
            "body is not JSON (error at byte 1; body: '<p>\"id\"</p>')");
  EXPECT_EQ(CheckAnswer(step, {200, R"({"items":[{"id":3}],"ok":true})", 40}),
            "$.items[0].id is 3, expected 2");
  EXPECT_EQ(CheckAnswer(step, {200, R"({"items":[{"id":2}],"ok":true})", 40}),
            "$.name: not found (no key 'name')");

  Step any2xx;
  EXPECT_EQ(CheckAnswer(any2xx, {204, "", 1}), "");
  EXPECT_EQ(CheckAnswer(any2xx, {302, "", 1}), "status 302, expected 2xx");
  EXPECT_EQ(Abbreviate(std::string(100, 'x'), 10), "xxxxxxxxxx...");
}

CanarySpec GoodSpec() {
  CanarySpec s;
  s.name = "shop-browse";
  s.app = "shop";
  s.steps.resize(1);
  return s;
}

TEST(ValidateTest, SpecsAreCheckedFieldByField) {
  EXPECT_TRUE(ValidateSpec(GoodSpec()).ok());
  struct Case {
    std::function<void(CanarySpec*)> change;
    std::string error;
  } cases[] = {
      {[](CanarySpec* s) { s->name = "bad name"; }, "canary 'bad name': name: expected 1 to 64"},
      {[](CanarySpec* s) { s->name = std::string(65, 'a'); }, ": name: expected"},
      {[](CanarySpec* s) { s->url = "http://127.0.0.1:9000"; }, "give exactly one of app and url"},
      {[](CanarySpec* s) { s->app = ""; }, "give exactly one of app and url"},
      {[](CanarySpec* s) { s->app = "", s->url = "ftp://x"; }, "url: not an http:// or https://"},
      {[](CanarySpec* s) { s->interval_ms = 999; }, "interval: must be at least 1s"},
      {[](CanarySpec* s) { s->timeout_ms = 0; }, "timeout: must be within 1ms to 5m"},
      {[](CanarySpec* s) { s->steps.clear(); }, "steps: at least one step"},
      {[](CanarySpec* s) { s->steps[0].method = "get"; }, "steps[0].method: expected"},
      {[](CanarySpec* s) { s->steps[0].path = "products"; }, "steps[0].path: expected a path"},
      {[](CanarySpec* s) {
         s->steps[0].headers = {{"X Y", "1"}};
       },
       "steps[0].headers: bad"},
      {[](CanarySpec* s) { s->steps[0].expect_status = 99; }, "steps[0].expect_status: expected"},
      {[](CanarySpec* s) { s->steps[0].max_latency_ms = -1; }, "max_latency: must not be"},
      {[](CanarySpec* s) {
         s->steps[0].json_equals = {{"$.a[", "1"}};
       },
       "steps[0].json[$.a[]: bad path: missing ']'"},
      {[](CanarySpec* s) {
         s->steps[0].json_equals = {{"$.a", "shop"}};
       },
       "steps[0].json[$.a]: expected value must be JSON text"},
  };
  for (const Case& c : cases) {
    CanarySpec s = GoodSpec();
    c.change(&s);
    Status st = ValidateSpec(s);
    EXPECT_EQ(st.code(), StatusCode::kInvalidArgument) << c.error;
    EXPECT_NE(st.message().find(c.error), std::string::npos) << st.message();
  }
  CanarySpec on_demand = GoodSpec();
  on_demand.interval_ms = 0;
  EXPECT_TRUE(ValidateSpec(on_demand).ok());
}

}  // namespace
}  // namespace vigil::canary
