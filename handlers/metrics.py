"""Prometheus metrics, one registry per app (several apps in one process, e.g. tests, never clash)."""

from __future__ import annotations

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest

DECISIONS = ("answer", "suggest", "abstain")


class Metrics:
    """The app's counters and histograms, registered in its own CollectorRegistry."""

    content_type = CONTENT_TYPE_LATEST

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        registry = self.registry
        self.questions = Counter(
            "questions", "Questions answered, by the matcher's decision", ["decision"], registry=registry
        )
        self.feedback = Counter("feedback", "Helpful / Not helpful clicks on answers", ["helpful"], registry=registry)
        self.tracker_items_created = Counter("tracker_items_created", "Tracker items created", registry=registry)
        self.tracker_items_escalated = Counter(
            "tracker_items_escalated", "Tracker items escalated (by people or the SLA sweeper)", registry=registry
        )
        self.tracker_items_resolved = Counter("tracker_items_resolved", "Tracker items resolved", registry=registry)
        self.sla_breaches = Counter("sla_breaches", "Escalations by the SLA sweeper", registry=registry)
        self.slack_api_errors = Counter(
            "slack_api_errors", "Slack API calls that failed after retries", ["method"], registry=registry
        )
        self.slack_api_retries = Counter("slack_api_retries", "Slack API calls retried", registry=registry)
        self.questions_turned_away = Counter(
            "questions_turned_away", "Questions refused at the ack because the answer queue was full", registry=registry
        )
        self.request_duration = Histogram(
            "request_duration_seconds", "HTTP request duration by endpoint", ["path"], registry=registry
        )
        for decision in DECISIONS:  # every series present from the start, at 0
            self.questions.labels(decision=decision)
        for helpful in ("true", "false"):
            self.feedback.labels(helpful=helpful)

    def question(self, decision: str) -> None:
        """Count a question by what the matcher decided (answer / suggest / abstain), or ``error``."""
        self.questions.labels(decision=decision).inc()

    def helpful(self, helpful: bool) -> None:
        self.feedback.labels(helpful="true" if helpful else "false").inc()

    def slack_error(self, method: str) -> None:
        self.slack_api_errors.labels(method=method).inc()

    def slack_retry(self) -> None:
        self.slack_api_retries.inc()

    def exposition(self) -> bytes:
        """The registry in the Prometheus text format."""
        return generate_latest(self.registry)
