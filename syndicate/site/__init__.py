"""Loading a site: its records found, read and normalised into articles."""
