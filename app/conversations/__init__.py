"""Conversations (gesprekken): who sat at the table, which questions they chose, their answers."""
