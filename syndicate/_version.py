"""The version of syndicate: in one place, which the package build reads too."""

__version__ = "0.1.0"
