"""The suspicious-email checker: read a message, pick the headers to trust, give a verdict."""
