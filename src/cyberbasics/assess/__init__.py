"""The inside view: the catalogue (questions, controls, actions, frameworks as data), and
next the answers, scoring, readiness, fusion with the scan and the action plan."""
