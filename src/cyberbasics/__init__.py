"""Cyber Basics: a free, plain-language cyber security review for small businesses."""

__version__ = "0.1.0"
