"""Errors and exit codes, outcomes, safe text, redaction, resources, logs, consoles."""
