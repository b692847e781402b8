"""Exports of a conversation: the action list as PDF and HTML, and the blank printable plate."""
