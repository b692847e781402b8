"""Health checks for a load balancer or orchestrator: is the process up, can it serve."""
