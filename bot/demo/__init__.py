"""`enabler demo`: the whole product, for real, against the Slack emulator, in one command.

Nothing here is imported by the product itself (the import-linter contract keeps it so): the demo
drives the real app from the outside, as Slack and the people in a workspace would.
"""
