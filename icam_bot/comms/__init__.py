"""Communications from the ICAM PMO: channel subscriptions, announcements and the weekly digest (no Slack here)."""
