#!/usr/bin/env python3
"""Writes packages/aws-twin/src/models/constraints.json from botocore's own service models.

For each operation the twin implements: the input's required members, enums, number ranges and
string/list lengths, nested through structures, lists and maps (as deep as the shapes go, with
recursive shapes cut at their second visit), plus the error code the service declares for a bad
request. The twin validates every request against it before any lookup, as AWS does. Needs
botocore (pip install botocore, or Debian's python3-botocore); npm test does not.
Usage: python3 packages/aws-twin/models/regenerate.py
"""
import json
import os
import sys

import botocore
from botocore.loaders import Loader

OPERATIONS = {
    "ecs": ["CreateCluster", "ListClusters", "ListServices", "DescribeClusters", "RegisterTaskDefinition",
            "DescribeTaskDefinition", "DeregisterTaskDefinition", "ListTaskDefinitions", "CreateService",
            "UpdateService", "DescribeServices", "ListTasks", "DescribeTasks", "RunTask", "StopTask",
            "TagResource", "UntagResource", "ListTagsForResource", "ListServiceDeployments",
            "DescribeServiceDeployments", "DescribeServiceRevisions", "ContinueServiceDeployment",
            "StopServiceDeployment"],
    "ecr": ["GetAuthorizationToken", "CreateRepository", "DescribeRepositories",
            "PutImageScanningConfiguration", "PutImageTagMutability", "PutImage", "BatchGetImage",
            "DescribeImages", "DescribeImageScanFindings"],
    "cloudwatch": ["GetMetricData", "ListMetrics", "PutMetricData", "PutMetricAlarm", "DescribeAlarms",
                   "SetAlarmState"],
    "elbv2": ["CreateLoadBalancer", "DescribeLoadBalancers", "CreateTargetGroup", "DescribeTargetGroups",
              "CreateListener", "DescribeListeners", "ModifyListener", "CreateRule", "DescribeRules",
              "ModifyRule", "RegisterTargets", "DeregisterTargets", "DescribeTargetHealth", "AddTags",
              "RemoveTags", "DescribeTags"],
    "sts": ["GetCallerIdentity", "AssumeRoleWithWebIdentity"],
    "scheduler": ["CreateSchedule", "GetSchedule", "UpdateSchedule", "DeleteSchedule", "ListSchedules"],
    "events": ["PutRule", "DescribeRule", "ListTargetsByRule", "PutTargets", "ListRuleNamesByTarget"],
}
# The twin's key for each service, and the code its bad requests come back with.
TWIN = {
    "ecs": ("ecs", "InvalidParameterException"),
    "ecr": ("ecr", "InvalidParameterException"),
    "cloudwatch": ("cloudwatch", "InvalidParameterValue"),
    "elbv2": ("elbv2", "ValidationError"),
    "sts": ("sts", "ValidationError"),
    "scheduler": ("scheduler", "ValidationException"),
    "events": ("events", "ValidationException"),
}


def spec(shapes, name, seen):
    shape = shapes[name]
    kind = shape["type"]
    out = {"type": kind}
    for key in ("min", "max"):
        if key in shape:
            out[key] = shape[key]
    if "enum" in shape:
        out["enum"] = shape["enum"]
    if name in seen:
        return out
    seen = seen | {name}
    if kind == "structure":
        members = {}
        for member, ref in shape.get("members", {}).items():
            members[member] = spec(shapes, ref["shape"], seen)
        out["members"] = members
        if shape.get("required"):
            out["required"] = shape["required"]
    elif kind == "list":
        out["member"] = spec(shapes, shape["member"]["shape"], seen)
    elif kind == "map":
        out["value"] = spec(shapes, shape["value"]["shape"], seen)
    return out


def main():
    loader = Loader()
    result = {"botocore": botocore.__version__, "services": {}}
    for service, operations in OPERATIONS.items():
        model = loader.load_service_model(service, "service-2")
        shapes = model["shapes"]
        twin, code = TWIN[service]
        entry = {"validationError": code, "operations": {}}
        for operation in operations:
            op = model["operations"][operation]
            entry["operations"][operation] = (
                spec(shapes, op["input"]["shape"], set()) if "input" in op else {"type": "structure", "members": {}}
            )
        result["services"][twin] = entry
    target = os.path.join(os.path.dirname(__file__), "..", "src", "models", "constraints.json")
    os.makedirs(os.path.dirname(target), exist_ok=True)
    with open(target, "w") as handle:
        json.dump(result, handle, separators=(",", ":"), sort_keys=True)
        handle.write("\n")
    print(f"wrote {os.path.relpath(target)} from botocore {botocore.__version__}", file=sys.stderr)


if __name__ == "__main__":
    main()
