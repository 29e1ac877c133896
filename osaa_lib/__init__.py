"""OSAA analyst workbench: development indicators from CSV files to a checked data lake."""

__version__ = "0.1.0"
