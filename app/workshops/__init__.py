"""Live workshops: a room joins a conversation on their phones."""
