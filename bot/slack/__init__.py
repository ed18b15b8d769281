"""The Slack surface: app wiring, middleware, view builders and Slack-side services."""
