#!/usr/bin/env python3
"""Writes the Taskpilot Grafana dashboard.

    python3 deploy/grafana/build_dashboard.py           # (re)write both copies
    python3 deploy/grafana/build_dashboard.py --check   # exit 1 if a copy differs from this script

The dashboard is generated so that every panel's query is written once, here, against the metric
names of docs/metrics.md; two identical copies are committed:
  deploy/grafana/taskpilot.json                         (import into any Grafana)
  deploy/helm/taskpilot/files/taskpilot-dashboard.json  (the chart's dashboard ConfigMap)
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUTPUTS = [
    ROOT / "deploy/grafana/taskpilot.json",
    ROOT / "deploy/helm/taskpilot/files/taskpilot-dashboard.json",
]

# Every query selects Taskpilot's scrape job and the chosen namespaces (namespace=~".*" also
# matches series without the label, as outside Kubernetes).
SEL = 'job="taskpilot", namespace=~"$namespace"'
DS = {"type": "prometheus", "uid": "${datasource}"}


def sel(extra: str = "") -> str:
    return "{" + SEL + (", " + extra if extra else "") + "}"


class Layout:
    """Places panels left to right on Grafana's 24-column grid."""

    def __init__(self) -> None:
        self.panels: list[dict] = []
        self.x = 0
        self.y = 0
        self.row_height = 0
        self.next_id = 1

    def _id(self) -> int:
        self.next_id += 1
        return self.next_id - 1

    def row(self, title: str) -> None:
        self._newline()
        self.panels.append(
            {"type": "row", "id": self._id(), "title": title, "collapsed": False,
             "gridPos": {"h": 1, "w": 24, "x": 0, "y": self.y}, "panels": []}
        )
        self.y += 1

    def _newline(self) -> None:
        if self.x:
            self.y += self.row_height
            self.x = 0
            self.row_height = 0

    def add(self, panel: dict, w: int, h: int) -> None:
        if self.x + w > 24:
            self._newline()
        panel["id"] = self._id()
        panel["gridPos"] = {"h": h, "w": w, "x": self.x, "y": self.y}
        self.panels.append(panel)
        self.x += w
        self.row_height = max(self.row_height, h)


def targets(*queries: tuple[str, str]) -> list[dict]:
    return [
        {"datasource": DS, "expr": expr, "legendFormat": legend, "refId": chr(ord("A") + i),
         "range": True}
        for i, (expr, legend) in enumerate(queries)
    ]


def thresholds(*steps: tuple[float | None, str]) -> dict:
    return {"mode": "absolute", "steps": [{"color": c, "value": v} for v, c in steps]}


def stat(title: str, description: str, expr: str, unit: str, steps: dict) -> dict:
    return {
        "type": "stat", "title": title, "description": description, "datasource": DS,
        "targets": targets((expr, "")),
        "fieldConfig": {"defaults": {"unit": unit, "thresholds": steps, "color": {"mode": "thresholds"}},
                        "overrides": []},
        "options": {"reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
                    "colorMode": "background", "graphMode": "area", "textMode": "auto",
                    "justifyMode": "auto", "orientation": "auto"},
    }


def timeseries(title: str, description: str, queries: list[tuple[str, str]], unit: str,
               steps: dict | None = None, stack: bool = False) -> dict:
    defaults: dict = {
        "unit": unit,
        "custom": {"drawStyle": "line", "lineWidth": 1, "fillOpacity": 10, "showPoints": "never",
                   "spanNulls": False,
                   "stacking": {"mode": "normal" if stack else "none", "group": "A"}},
        "color": {"mode": "palette-classic"},
    }
    if steps:
        defaults["thresholds"] = steps
        defaults["custom"]["thresholdsStyle"] = {"mode": "line"}
    return {
        "type": "timeseries", "title": title, "description": description, "datasource": DS,
        "targets": targets(*queries),
        "fieldConfig": {"defaults": defaults, "overrides": []},
        "options": {"legend": {"displayMode": "table", "placement": "bottom", "calcs": ["mean", "max", "lastNotNull"]},
                    "tooltip": {"mode": "multi", "sort": "desc"}},
    }


def quantile(q: float, metric: str, by: str = "", extra: str = "") -> str:
    group = f"le, {by}" if by else "le"
    return (f"histogram_quantile({q}, sum by ({group}) "
            f"(rate({metric}_bucket{sel(extra)}[$__rate_interval])))")


LONG_LIVED = 'route!~"/api/v1/ws|/mcp"'
FIVE_XX = 'status=~"5.."'


def build() -> dict:
    g = Layout()

    g.row("Overview")
    g.add(stat("Requests / s", "All HTTP requests (http_requests_total).",
               f"sum(rate(http_requests_total{sel()}[$__rate_interval]))", "reqps",
               thresholds((None, "blue"))), 4, 4)
    g.add(stat("5xx ratio", "Share of requests answered 5xx. Alert TaskpilotHighErrorRate: > 5% for 5m.",
               f"sum(rate(http_requests_total{sel(FIVE_XX)}[$__rate_interval])) "
               f"/ sum(rate(http_requests_total{sel()}[$__rate_interval]))", "percentunit",
               thresholds((None, "green"), (0.01, "orange"), (0.05, "red"))), 4, 4)
    g.add(stat("p95 latency", "95th percentile of HTTP latency, WebSocket and MCP streams excluded. "
               "Alert TaskpilotHighLatency: > 1 s for 5m.",
               quantile(0.95, "http_request_duration_seconds", extra=LONG_LIVED), "s",
               thresholds((None, "green"), (0.25, "orange"), (1, "red"))), 4, 4)
    g.add(stat("Outbox depth", "Events written but not yet published (max over API replicas). "
               "Alert TaskpilotOutboxGrowing.",
               f"max(taskpilot_outbox_depth{sel()})", "short",
               thresholds((None, "green"), (100, "orange"), (1000, "red"))), 4, 4)
    g.add(stat("Worst consumer lag", "Largest lag of a consumer group, in messages. "
               "Alert TaskpilotConsumerLagHigh: > 1000 for 5m.",
               f"max(sum by (topic, consumer) (taskpilot_consumer_lag{sel()}))", "short",
               thresholds((None, "green"), (100, "orange"), (1000, "red"))), 4, 4)
    g.add(stat("WebSocket sessions", "Open realtime sessions over all API replicas.",
               f"sum(taskpilot_websocket_sessions{sel()})", "short",
               thresholds((None, "blue"))), 4, 4)

    g.row("HTTP")
    g.add(timeseries("Requests / s by route", "http_requests_total by route template.",
                     [(f"sum by (route) (rate(http_requests_total{sel()}[$__rate_interval]))", "{{route}}")],
                     "reqps", stack=True), 12, 8)
    g.add(timeseries("Responses / s by status", "4xx are the clients' errors; 5xx are ours.",
                     [(f"sum by (status) (rate(http_requests_total{sel()}[$__rate_interval]))", "{{status}}")],
                     "reqps", stack=True), 12, 8)
    g.add(timeseries("Latency percentiles", "http_request_duration_seconds, WebSocket and MCP streams excluded. "
                     "Red line: the 1 s p95 alert threshold.",
                     [(quantile(0.50, "http_request_duration_seconds", extra=LONG_LIVED), "p50"),
                      (quantile(0.95, "http_request_duration_seconds", extra=LONG_LIVED), "p95"),
                      (quantile(0.99, "http_request_duration_seconds", extra=LONG_LIVED), "p99")],
                     "s", thresholds((None, "green"), (1, "red"))), 12, 8)
    g.add(timeseries("p95 latency by route (slowest 10)", "Which routes make the p95.",
                     [("topk(10, " + quantile(0.95, "http_request_duration_seconds", "method, route", LONG_LIVED) + ")",
                       "{{method}} {{route}}")],
                     "s"), 12, 8)

    g.row("Database")
    g.add(timeseries("Query p95 by operation", "taskpilot_db_query_duration_seconds.",
                     [(quantile(0.95, "taskpilot_db_query_duration_seconds", "operation"), "{{operation}}")],
                     "s"), 12, 8)
    g.add(timeseries("Queries / s by operation", "Rate of database queries.",
                     [(f"sum by (operation) (rate(taskpilot_db_query_duration_seconds_count{sel()}[$__rate_interval]))",
                       "{{operation}}")],
                     "ops", stack=True), 12, 8)

    g.row("Events")
    g.add(timeseries("Outbox depth", "Unpublished outbox rows. Growing for 10 minutes = the broker or the "
                     "relay is failing (TaskpilotOutboxGrowing).",
                     [(f"max(taskpilot_outbox_depth{sel()})", "depth")], "short"), 8, 8)
    g.add(timeseries("Outbox publishing", "Publish latency (p95) and failures per second.",
                     [(quantile(0.95, "taskpilot_outbox_publish_duration_seconds"), "publish p95 (s)"),
                      (f"sum(rate(taskpilot_outbox_publish_failures_total{sel()}[$__rate_interval]))", "failures / s")],
                     "short"), 8, 8)
    g.add(timeseries("Consumer lag", "taskpilot_consumer_lag summed per consumer group and topic. "
                     "Red line: the 1000-message alert threshold.",
                     [(f"sum by (topic, consumer) (taskpilot_consumer_lag{sel()})", "{{consumer}} ← {{topic}}")],
                     "short", thresholds((None, "green"), (1000, "red"))), 8, 8)
    g.add(timeseries("Events consumed / s", "taskpilot_events_consumed_total by topic, consumer and outcome "
                     "(e.g. processed, duplicate, retried, failed).",
                     [(f"sum by (topic, consumer, outcome) (rate(taskpilot_events_consumed_total{sel()}[$__rate_interval]))",
                       "{{consumer}} ← {{topic}}: {{outcome}}")],
                     "ops", stack=True), 16, 8)
    g.add(timeseries("Kafka messages received / s", "taskpilot_events_received_total: what each consumer group "
                     "received, repeats included (handled or dropped as already handled).",
                     [(f"sum by (topic, consumer) (rate(taskpilot_events_received_total{sel()}[$__rate_interval]))",
                       "{{consumer}} ← {{topic}}")],
                     "ops", stack=True), 8, 8)

    g.row("Deliveries")
    g.add(timeseries("Webhook deliveries / s", "taskpilot_webhook_deliveries_total by outcome (delivered, retry, "
                     "failed) and webhooks disabled after repeated failures.",
                     [(f"sum by (outcome) (rate(taskpilot_webhook_deliveries_total{sel()}[$__rate_interval]))", "{{outcome}}"),
                      (f"sum(rate(taskpilot_webhooks_disabled_total{sel()}[$__rate_interval]))", "disabled")],
                     "ops", stack=True), 8, 8)
    g.add(timeseries("Webhook latency", "One webhook POST, from sending to the answer (or the 10 s timeout).",
                     [(quantile(0.50, "taskpilot_webhook_delivery_duration_seconds"), "p50"),
                      (quantile(0.95, "taskpilot_webhook_delivery_duration_seconds"), "p95")],
                     "s"), 8, 8)
    g.add(timeseries("Reminder emails / s", "taskpilot_emails_sent_total by outcome (sent, retry, failed).",
                     [(f"sum by (outcome) (rate(taskpilot_emails_sent_total{sel()}[$__rate_interval]))", "{{outcome}}")],
                     "ops", stack=True), 8, 8)

    g.row("Reminders")
    g.add(timeseries("Reminder lateness", "Fired time minus fire_at. Red line: the 1-minute p99 alert threshold.",
                     [(quantile(0.50, "taskpilot_reminder_lateness_seconds"), "p50"),
                      (quantile(0.99, "taskpilot_reminder_lateness_seconds"), "p99")],
                     "s", thresholds((None, "green"), (60, "red"))), 12, 8)
    g.add(timeseries("Reminders fired / min", "Count of taskpilot_reminder_lateness_seconds observations.",
                     [(f"sum(rate(taskpilot_reminder_lateness_seconds_count{sel()}[$__rate_interval])) * 60", "fired / min")],
                     "short"), 12, 8)

    g.row("Assistant and realtime")
    g.add(timeseries("LLM latency", "taskpilot_llm_request_duration_seconds (Chat Completions round trips).",
                     [(quantile(0.50, "taskpilot_llm_request_duration_seconds"), "p50"),
                      (quantile(0.95, "taskpilot_llm_request_duration_seconds"), "p95")],
                     "s"), 8, 8)
    g.add(timeseries("LLM requests and errors / s", "Requests, and errors by reason (taskpilot_llm_errors_total).",
                     [(f"sum(rate(taskpilot_llm_request_duration_seconds_count{sel()}[$__rate_interval]))", "requests"),
                      (f"sum by (reason) (rate(taskpilot_llm_errors_total{sel()}[$__rate_interval]))", "error: {{reason}}")],
                     "reqps"), 8, 8)
    g.add(timeseries("WebSocket sessions by pod", "taskpilot_websocket_sessions per API replica.",
                     [(f"sum by (pod) (taskpilot_websocket_sessions{sel()})", "{{pod}}")],
                     "short", stack=True), 8, 8)

    return {
        "uid": "taskpilot",
        "title": "Taskpilot",
        "description": "Taskpilot API, database, events, reminders and assistant. Metrics: docs/metrics.md; "
                       "runbook: docs/operations.md.",
        "tags": ["taskpilot"],
        "timezone": "browser",
        "editable": True,
        "graphTooltip": 1,
        "refresh": "30s",
        "schemaVersion": 39,
        "version": 1,
        "time": {"from": "now-6h", "to": "now"},
        "timepicker": {},
        "fiscalYearStartMonth": 0,
        "liveNow": False,
        "weekStart": "",
        "links": [],
        "annotations": {"list": [{
            "builtIn": 1, "datasource": {"type": "grafana", "uid": "-- Grafana --"}, "enable": True,
            "hide": True, "iconColor": "rgba(0, 211, 255, 1)", "name": "Annotations & Alerts", "type": "dashboard"}]},
        "templating": {"list": [
            {"name": "datasource", "label": "Data source", "type": "datasource", "query": "prometheus",
             "current": {}, "hide": 0, "refresh": 1, "regex": "", "includeAll": False, "multi": False,
             "options": []},
            {"name": "namespace", "label": "Namespace", "type": "query", "datasource": DS,
             "query": {"query": 'label_values(http_requests_total{job="taskpilot"}, namespace)', "refId": "namespace"},
             "definition": 'label_values(http_requests_total{job="taskpilot"}, namespace)',
             "current": {}, "hide": 0, "refresh": 2, "regex": "", "sort": 1,
             "includeAll": True, "allValue": ".*", "multi": True, "options": []},
        ]},
        "panels": g.panels,
    }


def render() -> str:
    return json.dumps(build(), indent=2, ensure_ascii=False) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="compare instead of writing")
    args = parser.parse_args()
    text = render()
    stale = []
    for path in OUTPUTS:
        if args.check:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                stale.append(path.relative_to(ROOT))
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
    if stale:
        print("out of date (run python3 deploy/grafana/build_dashboard.py): " + ", ".join(map(str, stale)),
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
