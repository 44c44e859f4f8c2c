"""TracePass: an open, self-hostable EU Digital Product Passport platform."""

__version__ = "0.1.0"
