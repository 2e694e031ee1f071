#include "alarms/codec.h"

namespace vigil::alarms {
namespace {

Json DimensionsJson(const Dimensions& d) {
  Json out = Json::array();
  for (const auto& [k, v] : d) out.push_back({k, v});
  return out;
}

Dimensions DimensionsFrom(const Json& j) {
  Dimensions d;
  for (const Json& pair : j)
    d.emplace_back(pair.at(0).get<std::string>(), pair.at(1).get<std::string>());
  return d;
}

Json StatJson(const MetricStat& m) {
  return {{"namespace", m.namespace_name},
          {"metric", m.metric_name},
          {"dimensions", DimensionsJson(m.dimensions)},
          {"period", m.period_s},
          {"stat", m.stat},
          {"unit", m.unit}};
}

MetricStat StatFrom(const Json& j) {
  MetricStat m;
  m.namespace_name = j.at("namespace").get<std::string>();
  m.metric_name = j.at("metric").get<std::string>();
  m.dimensions = DimensionsFrom(j.at("dimensions"));
  m.period_s = j.at("period").get<int64_t>();
  m.stat = j.at("stat").get<std::string>();
  m.unit = j.at("unit").get<std::string>();
  return m;
}

Json ActionsJson(const Actions& a) {
  return {{"enabled", a.enabled},
          {"ok", a.ok},
          {"alarm", a.alarm},
          {"insufficient_data", a.insufficient_data}};
}

Actions ActionsFrom(const Json& j) {
  Actions a;
  a.enabled = j.at("enabled").get<bool>();
  a.ok = j.at("ok").get<std::vector<std::string>>();
  a.alarm = j.at("alarm").get<std::vector<std::string>>();
  a.insufficient_data = j.at("insufficient_data").get<std::vector<std::string>>();
  return a;
}

// Runs `decode`, turning a JSON type or key error into DataLoss.
template <class F>
Status Decode(const char* what, F decode) {
  try {
    decode();
    return OkStatus();
  } catch (const Json::exception& e) {
    return DataLossError(std::string("stored ") + what + " does not decode: " + e.what());
  }
}

}  // namespace

Json ToJson(const MetricAlarm& a) {
  Json j = {{"name", a.name},
            {"description", a.description},
            {"actions", ActionsJson(a.actions)},
            {"evaluation_periods", a.evaluation_periods},
            {"datapoints_to_alarm", a.datapoints_to_alarm},
            {"threshold", a.threshold},
            {"comparison", ComparisonName(a.comparison)},
            {"treat_missing_data", MissingDataName(a.treat_missing_data)},
            {"low_sample_percentile", a.evaluate_low_sample_count_percentile},
            {"tags", DimensionsJson(a.tags)}};
  if (a.metric) j["metric"] = StatJson(*a.metric);
  Json queries = Json::array();
  for (const MetricQuery& q : a.metrics) {
    Json jq = {{"id", q.id},
               {"expression", q.expression},
               {"label", q.label},
               {"return_data", q.return_data},
               {"period", q.period_s}};
    if (q.metric) jq["metric"] = StatJson(*q.metric);
    queries.push_back(std::move(jq));
  }
  j["metrics"] = std::move(queries);
  return j;
}

Status FromJson(const Json& j, MetricAlarm* a) {
  return Decode("metric alarm", [&] {
    a->name = j.at("name").get<std::string>();
    a->description = j.at("description").get<std::string>();
    a->actions = ActionsFrom(j.at("actions"));
    a->evaluation_periods = j.at("evaluation_periods").get<int>();
    a->datapoints_to_alarm = j.at("datapoints_to_alarm").get<int>();
    a->threshold = j.at("threshold").get<double>();
    a->comparison = ParseComparison(j.at("comparison").get<std::string>())
                        .value_or(Comparison::kGreaterThanThreshold);
    a->treat_missing_data = ParseMissingData(j.at("treat_missing_data").get<std::string>())
                                .value_or(MissingData::kMissing);
    a->evaluate_low_sample_count_percentile = j.at("low_sample_percentile").get<std::string>();
    a->tags = DimensionsFrom(j.at("tags"));
    if (j.contains("metric")) a->metric = StatFrom(j.at("metric"));
    for (const Json& jq : j.at("metrics")) {
      MetricQuery q;
      q.id = jq.at("id").get<std::string>();
      q.expression = jq.at("expression").get<std::string>();
      q.label = jq.at("label").get<std::string>();
      q.return_data = jq.at("return_data").get<bool>();
      q.period_s = jq.at("period").get<int64_t>();
      if (jq.contains("metric")) q.metric = StatFrom(jq.at("metric"));
      a->metrics.push_back(std::move(q));
    }
  });
}

Json ToJson(const CompositeAlarm& a) {
  return {{"name", a.name},
          {"description", a.description},
          {"actions", ActionsJson(a.actions)},
          {"rule", a.rule},
          {"tags", DimensionsJson(a.tags)}};
}

Status FromJson(const Json& j, CompositeAlarm* a) {
  return Decode("composite alarm", [&] {
    a->name = j.at("name").get<std::string>();
    a->description = j.at("description").get<std::string>();
    a->actions = ActionsFrom(j.at("actions"));
    a->rule = j.at("rule").get<std::string>();
    a->tags = DimensionsFrom(j.at("tags"));
  });
}

Json ToJson(const AlarmState& s) {
  return {{"value", StateValueName(s.value)},
          {"reason", s.reason},
          {"reason_data", s.reason_data},
          {"updated_ms", s.updated_ms},
          {"config_updated_ms", s.config_updated_ms},
          {"acknowledged", s.acknowledged}};
}

Status FromJson(const Json& j, AlarmState* s) {
  return Decode("alarm state", [&] {
    s->value =
        ParseStateValue(j.at("value").get<std::string>()).value_or(StateValue::kInsufficientData);
    s->reason = j.at("reason").get<std::string>();
    s->reason_data = j.at("reason_data").get<std::string>();
    s->updated_ms = j.at("updated_ms").get<int64_t>();
    s->config_updated_ms = j.at("config_updated_ms").get<int64_t>();
    s->acknowledged = j.at("acknowledged").get<bool>();
  });
}

Json ToJson(const HistoryItem& h) {
  return {{"alarm", h.alarm_name}, {"composite", h.composite}, {"type", HistoryTypeName(h.type)},
          {"ts", h.timestamp_ms},  {"summary", h.summary},     {"data", h.data}};
}

Status FromJson(const Json& j, HistoryItem* h) {
  return Decode("alarm history item", [&] {
    h->alarm_name = j.at("alarm").get<std::string>();
    h->composite = j.at("composite").get<bool>();
    h->type = ParseHistoryType(j.at("type").get<std::string>()).value_or(HistoryType::kAction);
    h->timestamp_ms = j.at("ts").get<int64_t>();
    h->summary = j.at("summary").get<std::string>();
    h->data = j.at("data").get<std::string>();
  });
}

}  // namespace vigil::alarms
