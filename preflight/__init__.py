"""preflight: finds why an App Runner service will fail before it is deployed."""

__version__ = "0.1.0"
