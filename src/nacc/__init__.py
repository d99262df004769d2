"""nacc: the software that runs a national AI computing center."""

__version__ = "0.1.0"
__all__ = ["__version__"]
