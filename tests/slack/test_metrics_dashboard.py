"""The Grafana dashboard (deploy/grafana/icam-bot-dashboard.json) cannot drift from the app: every metric its
PromQL uses is exported by the real app, served over HTTP, after it has answered a question."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from slack_harness import serve_app
from slack_requests import block_actions
from test_metrics import sample_names, scrape_until
from test_ops_endpoints import sample

from handlers.common.blocks import encode_value
from handlers.common.ids import ActionId

DASHBOARD = Path(__file__).resolve().parents[2] / "deploy" / "grafana" / "icam-bot-dashboard.json"
#: PromQL words that are not metric names: binary operators, modifiers, vector matching, and the aggregation
#: operators (``sum by (le) (...)`` puts a clause between them and their parenthesis).
KEYWORDS = frozenset(
    {"by", "without", "on", "ignoring", "group_left", "group_right", "offset", "bool", "and", "or", "unless", "inf"}
    | {"sum", "min", "max", "avg", "group", "stddev", "stdvar", "count", "count_values", "bottomk", "topk", "quantile"}
)
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"' + r"|'(?:[^'\\]|\\.)*'")
_MATCHERS = re.compile(r"\{[^{}]*\}")
_RANGE = re.compile(r"\[[^\[\]]*\]")
_LABEL_LIST = re.compile(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^()]*\)")
_IDENTIFIER = re.compile(r"[A-Za-z_:][A-Za-z0-9_:]*")


def metric_names(expr: str) -> set[str]:
    """The metric names a PromQL expression selects: identifiers that are not functions, keywords or labels."""
    text = _STRING.sub('""', expr)
    text = _MATCHERS.sub("", text)
    text = _RANGE.sub("", text)  # [5m], [$__rate_interval]
    text = _LABEL_LIST.sub(r"\1", text)  # sum by (le) ...
    text = re.sub(r"\$\{?\w+\}?", "", text)  # dashboard variables
    names = set()
    for found in _IDENTIFIER.finditer(text):
        word = found.group(0)
        if word.lower() in KEYWORDS or text[found.end() :].lstrip().startswith("("):
            continue
        if found.start() > 0 and (text[found.start() - 1].isdigit() or text[found.start() - 1] == "."):
            continue  # the exponent of a number (1e3)
        names.add(word)
    return names


def panels(dashboard: dict) -> list[dict]:
    found = []
    for panel in dashboard["panels"]:
        found.append(panel)
        found.extend(panel.get("panels", []))  # collapsed rows keep their panels inside
    return found


def expressions(dashboard: dict) -> list[tuple[str, str]]:
    """(panel title, PromQL) of every query in the dashboard."""
    return [(p["title"], t["expr"]) for p in panels(dashboard) for t in p.get("targets", []) if t.get("expr")]


@pytest.fixture(scope="module")
def dashboard() -> dict:
    return json.loads(DASHBOARD.read_text(encoding="utf-8"))


def test_the_extractor_reads_promql_the_way_the_dashboard_writes_it():
    expr = (
        'sum by (decision) (rate(icam_bot_questions_total{decision="answer"}[$__rate_interval])) '
        "/ ignoring(decision) group_left sum(rate(icam_bot_questions_total[1h])) "
        "+ histogram_quantile(0.95, sum by (le) (rate(icam_bot_answer_latency_seconds_bucket[5m]))) * 1e3"
    )
    assert metric_names(expr) == {"icam_bot_questions_total", "icam_bot_answer_latency_seconds_bucket"}
    assert metric_names("max(icam_bot_outbox_pending) or on() vector(0)") == {"icam_bot_outbox_pending"}


def test_the_dashboard_is_a_grafana_dashboard_with_what_the_pmo_and_operators_need(dashboard):
    assert dashboard["uid"] == "icam-bot"
    assert dashboard["title"]
    assert any(v["type"] == "datasource" and v["query"] == "prometheus" for v in dashboard["templating"]["list"])
    ids = [p["id"] for p in panels(dashboard)]
    assert len(ids) == len(set(ids))
    for panel in panels(dashboard):
        assert {"x", "y", "w", "h"} <= set(panel["gridPos"])
        if panel["type"] != "row":
            assert panel["targets"], panel["title"]
            assert all(t["refId"] for t in panel["targets"])
    used = set().union(*(metric_names(expr) for _, expr in expressions(dashboard)))
    wanted = {
        "icam_bot_questions_total",  # questions per hour, answer rate by decision
        "icam_bot_feedback_total",
        "icam_bot_items_opened_total",
        "icam_bot_items_resolved_total",
        "icam_bot_items_escalated_total",
        "icam_bot_outbox_pending",
        "icam_bot_answer_latency_seconds_bucket",  # p50/p95/p99
        "process_cpu_seconds_total",
        "process_resident_memory_bytes",
        "icam_bot_answer_queue_depth",
        "icam_bot_slack_api_errors_total",  # error rates
        "icam_bot_http_responses_total",
        "icam_bot_matcher_info",
    }
    assert wanted <= used, wanted - used
    for title, expr in expressions(dashboard):
        assert metric_names(expr), (title, expr)


async def test_every_metric_the_dashboard_queries_is_exported_by_the_running_app(responder, sqlite_url, dashboard):
    async with serve_app(responder, sqlite_url) as h:
        await h.command("ask how do I reset my PIV PIN?")
        await h.fake.wait_for("response_url")
        value = encode_value(e="glossary-pacs", q=None)
        await h.interact(block_actions({"action_id": ActionId.HELPFUL, "value": value}, h.fake.response_url()))
        exposition = await scrape_until(h, lambda e: sample(e, "icam_bot_answer_latency_seconds_count") >= 1)
        exported = sample_names(exposition)
        missing = {
            (title, name)
            for title, expr in expressions(dashboard)
            for name in metric_names(expr)
            if name not in exported
        }
        assert not missing, sorted(missing)
