"""Checking values before they are sent: ``contact`` (contacts, identifiers, tags, text) and
``formats`` (e-mail, phone, language, country, URL shapes)."""
