"""Questionnaires: versioned YAML content, validated on load and snapshotted per conversation."""
