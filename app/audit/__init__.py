"""The audit trail: who created, changed or deleted what, when, and from what to what."""
