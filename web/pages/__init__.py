"""HTML pages for people: sign-in, the incident form, status pages, acknowledge links."""
