"""Helpers with no blueprint of their own: database, signing, client
addresses, URLs and links, dates, slugs, the request class, terminal output."""
