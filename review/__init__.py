"""The review queue and staff decisions, with the audit trail."""
