#!/usr/bin/env python3
"""Helm operations for check_deploy.py, one per process.

Both Helm bindings are Go shared libraries; two Go runtimes in one process are not supported, so
check_deploy.py runs each call in its own process. Results are JSON on standard output; Helm's own
log lines go to standard error.

    helmtool.py sdkpy-lint CHART_DIR
        helm-sdkpy (libhelm): `helm lint` of the chart with the values.yaml inside CHART_DIR.
    helmtool.py lint CHART_DIR VALUES_JSON KUBE_VERSION
        helm-python-sdk: `helm lint --strict --kube-version KUBE_VERSION` with extra values.
    helmtool.py render CHART_DIR VALUES_JSON RELEASE NAMESPACE
        helm-python-sdk: `helm template` (offline; `lookup` finds nothing) -> {template: text}.
"""

from __future__ import annotations

import asyncio
import json
import sys


def main(argv: list[str]) -> int:
    command, args = argv[1], argv[2:]
    if command == "sdkpy-lint":
        import helm_sdkpy

        config = helm_sdkpy.Configuration(namespace="default")
        result = asyncio.run(helm_sdkpy.Lint(config).run(args[0]))
        # helm-sdkpy serialises Go errors as {}; keep severity and path, the caller re-lints
        # with helm-python-sdk for the message text.
        messages = [
            {"severity": m.get("Severity"), "path": m.get("Path"), "error": json.dumps(m.get("Err"))}
            for m in (result.get("Messages") or [])
        ]
        print(json.dumps({"charts": result.get("TotalChartsLinted"), "messages": messages,
                          "version": helm_sdkpy.__version__}))
        return 0

    import helm_python

    if command == "lint":
        chart, values, kube_version = args[0], json.loads(args[1]), args[2]
        report = helm_python.lint(chart, values, strict=True, kube_version=kube_version)
        report["version"] = helm_python.helm_sdk_version()
        print(json.dumps(report))
        return 0
    if command == "render":
        chart_dir, values, release, namespace = args[0], json.loads(args[1]), args[2], args[3]
        chart = helm_python.Chart.load(chart_dir)
        try:
            manifests = chart.render(values=values, name=release, namespace=namespace, is_install=True)
        except helm_python.HelmError as error:
            print(json.dumps({"error": str(error)}))
            return 0
        print(json.dumps({"manifests": manifests}))
        return 0
    print(f"unknown command {command}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
