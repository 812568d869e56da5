"""Meta's Graph API: the client, its error taxonomy, the recording client of dry-run, the Page subscription."""
