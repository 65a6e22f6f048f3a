"""Queries, one module per area. Every repository is built for one workspace and scopes every
query by it, so a query for another team's data cannot be written by accident."""
