#pragma once
// Private to vigil::alarms: alarms, states and history items as JSON documents for the
// state store.
#include <nlohmann/json.hpp>
#include <string>

#include "alarms/alarm_types.h"
#include "common/status.h"

namespace vigil::alarms {

using Json = nlohmann::json;

Json ToJson(const MetricAlarm& a);
Json ToJson(const CompositeAlarm& a);
Json ToJson(const AlarmState& s);
Json ToJson(const HistoryItem& h);
// DataLoss naming what is wrong for a document that does not decode.
Status FromJson(const Json& j, MetricAlarm* a);
Status FromJson(const Json& j, CompositeAlarm* a);
Status FromJson(const Json& j, AlarmState* s);
Status FromJson(const Json& j, HistoryItem* h);

}  // namespace vigil::alarms
