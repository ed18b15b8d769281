"""Use cases: the operations the Slack handlers and the CLI call."""
