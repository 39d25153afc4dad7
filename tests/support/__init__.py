"""Real servers the tests start on loopback: SMTP, Redis, nginx, an Akismet stand-in,
the app under gunicorn, a browser."""
