"""Help now: what a business uses during an incident (triage, playbooks, evidence log)."""
