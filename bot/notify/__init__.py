"""Telling the firm's admins: alerts, the admin e-mail queue, and SMTP."""
