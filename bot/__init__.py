"""Enabler: a Slack bot that helps sales managers enable their reps instead of doing their work."""
