"""The installation's management: regions, users and their roles, questionnaire versions."""
