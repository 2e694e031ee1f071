#pragma once
// The alarm operations of the CloudWatch API, over the alarms engine.
#include "api/api_error.h"
#include "api/cloudwatch_types.h"

namespace vigil::alarms {
class Engine;
}

namespace vigil::api {

// PutMetricAlarm, PutCompositeAlarm, DescribeAlarms, DescribeAlarmsForMetric,
// DescribeAlarmHistory, DeleteAlarms, SetAlarmState, Enable/DisableAlarmActions.
bool IsAlarmOperation(Operation op);

// Checks the request with CloudWatch's rules and runs it; engine errors through
// ErrorFromStatus (NotFound: ResourceNotFound).
ApiOr<CloudWatchOutput> ExecuteAlarmOperation(const DecodedRequest& request,
                                              alarms::Engine& engine);

}  // namespace vigil::api
